"""The thread page's forms: an admin clears a thread's safety memory, with a reason; a
reviewer records the thread's outcome."""

from django import forms

from prospects.models import Outcome


class SafetyClearForm(forms.Form):
    service_names = {"reason": "reason"}
    reason = forms.CharField(
        max_length=300,
        label="Why this thread may be answered again",
        help_text="One line, kept with the cleared cues and their history.",
        error_messages={"required": "Say in a line why this thread is safe to answer again."},
    )


class OutcomeForm(forms.Form):
    """One button per outcome (the button's value is the outcome), and an optional note."""

    service_names = {"outcome": "outcome", "note": "note"}
    outcome = forms.ChoiceField(
        choices=Outcome.choices,
        error_messages={"required": "Choose an outcome.", "invalid_choice": "Choose an outcome."},
    )
    note = forms.CharField(
        max_length=500,
        required=False,
        label="Note (optional)",
        help_text="What happened, for whoever reads the thread next.",
    )
