"""The thread page's form: an admin clears a thread's safety memory, with a reason."""

from django import forms


class SafetyClearForm(forms.Form):
    service_names = {"reason": "reason"}
    reason = forms.CharField(
        max_length=300,
        label="Why this thread may be answered again",
        help_text="One line, kept with the cleared cues and their history.",
        error_messages={"required": "Say in a line why this thread is safe to answer again."},
    )
