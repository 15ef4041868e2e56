"""The admin's Pipeline page: how replies are sent, changed through a confirmation that
says what changes, and the history of every change with who made it and why. The rules
are the service's (prospects/pipeline_settings.py), the same as ``/api/settings/pipeline/``."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from builder.forms import TemplateKeyBoxes, template_key_choices
from core.forms import PlainTextField, add_service_error
from core.roles import allow, can_change_engine
from engines.ids import MAX_ENGINE_ID_LENGTH
from prospects import selectors
from prospects.deciding.next_action import template_keys_in_use
from prospects.models import Mode, WithoutWorkflow
from prospects.pipeline_settings import (
    FIELDS,
    MAX_REASON_LENGTH,
    pipeline_settings_changes_summary,
    pipeline_settings_clean,
    pipeline_settings_history,
    pipeline_settings_update,
    pipeline_values,
)


class PipelineSettingsForm(forms.Form):
    """Reads what was posted; the service's rules decide what may be saved."""

    default_mode = forms.ChoiceField(
        choices=Mode.choices,
        widget=forms.RadioSelect,
        label="Default send mode",
        help_text="For template keys not ticked below. Whatever the mode, a draft that fails "
        "a check is held for a person.",
    )
    auto_send_keys = forms.MultipleChoiceField(
        required=False,
        widget=TemplateKeyBoxes,
        label="Template keys that send without review",
        help_text="Their drafts go to the bridge without a person, unless something holds them.",
    )
    without_workflow = forms.ChoiceField(
        choices=WithoutWorkflow.choices,
        widget=forms.RadioSelect,
        label="With no matching workflow",
        help_text="What a model engine's draft does when no published workflow matches.",
    )
    engine_wait_fallback = forms.ChoiceField(
        choices=WithoutWorkflow.choices,
        widget=forms.RadioSelect,
        label="When the model build is not ready in time",
        help_text="What a live draft does when its model build is not ready within the "
        "longest wait.",
    )
    escalation_engine = forms.CharField(
        required=False,
        max_length=MAX_ENGINE_ID_LENGTH,
        label="Escalate to",
        help_text="The engine id of a model build that gets one more try at a draft the "
        "validation gate refused; the draft it writes is credited to it. Not the draft "
        "engine itself. Empty: no escalation.",
        widget=forms.TextInput({"class": "wide"}),
    )
    uncertain_move_threshold = forms.FloatField(
        label="Hold below this confidence",
        help_text="0 to 1. A draft whose move the classifier is less sure of is held for a "
        "person; 0 never holds. The rules give no confidence and are never held.",
        widget=forms.NumberInput({"step": "0.01"}),
    )
    daily_send_cap = forms.IntegerField(
        required=False,
        label="Daily send cap",
        help_text="At most this many replies a day (UTC) are sent without a person; past it, "
        "drafts are held for review. Empty: no cap.",
    )
    reason = PlainTextField(
        max_length=MAX_REASON_LENGTH,
        label="Why",
        help_text="Kept in the history with your name.",
        widget=forms.TextInput({"class": "wide"}),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["auto_send_keys"].choices = template_key_choices(template_keys_in_use())

    def changes(self) -> dict:
        return {field: self.cleaned_data[field] for field in FIELDS}


def _page(request, form, *, status=200):
    return render(
        request,
        "prospects/pipeline_settings.html",
        {"form": form, "history": pipeline_settings_history()},
        status=status,
    )


@allow(can_change_engine)
def pipeline_settings_page(request):
    """Step one checks what was posted and shows what would change; step two
    (``confirm``) saves it."""
    row = selectors.pipeline_settings()
    if request.method != "POST":
        return _page(request, PipelineSettingsForm(initial=pipeline_values(row)))
    form = PipelineSettingsForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        changes, _ = pipeline_settings_clean(form.changes(), form.cleaned_data["reason"])
    except ValidationError as error:
        add_service_error(form, error)
        return _page(request, form, status=400)
    summary = pipeline_settings_changes_summary(pipeline_values(row), changes)
    if not summary:
        form.add_error(None, "Nothing changes: these are the settings already.")
        return _page(request, form, status=400)
    if not form.cleaned_data["confirm"]:
        return render(
            request, "prospects/pipeline_confirm.html", {"form": form, "summary": summary}
        )
    try:
        pipeline_settings_update(
            changes=changes, reason=form.cleaned_data["reason"], user=request.user
        )
    except ValidationError as error:
        add_service_error(form, error)
        return _page(request, form, status=400)
    messages.success(request, "The pipeline settings are saved.")
    return redirect("prospects:pipeline_settings")
