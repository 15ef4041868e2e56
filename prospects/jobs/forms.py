from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from builder.selectors import known_template_keys
from builder.taxonomy import Archetype, ThreadState
from core.untrusted import normalise
from engines.selectors import selectable_engine_ids
from prospects.jobs.playground import playground_engine_ids
from prospects.models import Draft, Thread
from prospects.selectors import pipeline_settings
from prospects.vocabulary import say, vocabulary

FILTERS = ("draft_status", "hold_reason", "template_key")


class PreviewRunForm(forms.Form):
    thread = forms.ModelChoiceField(queryset=Thread.objects.all())
    # Asked for on a cold GPU build, after the page showed what a boot costs.
    start_machine = forms.BooleanField(required=False)


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


class PlaygroundForm(forms.Form):
    """Text as a client would write it, and the situation to read it in."""

    text = forms.CharField(
        label="Message",
        max_length=settings.INBOUND_MAX_BODY_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "wide"}),
        help_text="Paste or write a client's message. It is read as the pipeline reads one, "
        "invisible characters and all; nothing made from it can be sent.",
    )
    thread_state = forms.ChoiceField(
        label="Conversation so far",
        choices=ThreadState.choices,
        initial=ThreadState.NEW,
        help_text="Where the conversation stands when this message arrives.",
    )
    archetype = forms.ChoiceField(
        label="Who writes",
        choices=Archetype.choices,
        initial=Archetype.NEW_CONTACT,
    )
    engine_id = forms.ChoiceField(
        label="Build",
        help_text="The template engine, or a build that can draft on a model now.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engine_id"].choices = [(e, e) for e in playground_engine_ids()]
        self.fields["engine_id"].initial = pipeline_settings().draft_engine

    def clean_text(self):
        text = self.cleaned_data["text"]
        if not normalise(text).strip():
            raise ValidationError(
                "Write a message: this one is blank once invisible characters go."
            )
        return text
