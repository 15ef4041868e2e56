from django import forms
from django.core.exceptions import ValidationError

from builder.selectors import known_template_keys
from engines.selectors import selectable_engine_ids
from prospects.models import Draft, Thread
from prospects.vocabulary import say, vocabulary

FILTERS = ("draft_status", "hold_reason", "template_key")


class PreviewRunForm(forms.Form):
    thread = forms.ModelChoiceField(queryset=Thread.objects.all())


class JobStartForm(forms.Form):
    """The threads ticked on the threads page, or the filter on the jobs page."""

    thread_ids = forms.ModelMultipleChoiceField(
        queryset=Thread.objects.all(), required=False, widget=forms.MultipleHiddenInput
    )
    draft_status = forms.ChoiceField(choices=[("", "any"), *Draft.Status.choices], required=False)
    hold_reason = forms.ChoiceField(required=False)
    template_key = forms.ChoiceField(label="Reply", required=False)
    engine_id = forms.ChoiceField(label="Engine", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offered in the words every page uses for them.
        self.fields["hold_reason"].choices = [("", "any"), *vocabulary()["hold_reason"].items()]
        self.fields["template_key"].choices = [
            ("", "any"),
            *((key, say("template_key", key)) for key in known_template_keys()),
        ]
        self.fields["engine_id"].choices = [
            ("", "active engine"),
            *((engine_id, engine_id) for engine_id in selectable_engine_ids()),
        ]

    def clean(self):
        data = super().clean()
        if not data.get("thread_ids") and not any(data.get(key) for key in FILTERS):
            raise ValidationError(
                "Tick threads on the threads page, or choose a filter.", code="no_scope"
            )
        return data

    @property
    def scope(self) -> dict:
        """``job_create``'s thread_ids or filters: ticked threads win over the filter."""
        threads = self.cleaned_data["thread_ids"]
        if threads:
            return {"thread_ids": [thread.id for thread in threads], "filters": None}
        filters = {key: self.cleaned_data[key] for key in FILTERS if self.cleaned_data[key]}
        return {"thread_ids": None, "filters": filters}
