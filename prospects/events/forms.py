from django import forms

from core.forms import PlainTextField
from prospects.events.models import EventName


class SubscriptionForm(forms.Form):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "wide"}),
        help_text="Where each event is posted as JSON, signed with X-Prospector-Signature "
        "as the bridge's webhook is (docs/bridge.md). https, or http on a private network.",
    )
    events = forms.MultipleChoiceField(
        choices=EventName.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only these events are sent to it.",
    )
    description = PlainTextField(
        required=False, max_length=200, help_text="Who or what listens there, for the team."
    )
