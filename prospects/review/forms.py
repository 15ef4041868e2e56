"""The review pane's forms, one per action on a draft, and the queue filters each action
carries along so the pane that answers it shows the same queue."""

from django import forms
from django.http import QueryDict

from core.forms import PlainTextField
from engines.moves import all_moves, move_name, not_prospect_moves, prospect_moves
from prospects.deciding.next_action import template_keys_in_use
from prospects.drafting.pace import PACE_FIELDS, REASON_MAX_CHARS
from prospects.models import Draft, ReasonTag, SendPace
from prospects.review.labels import MAX_REASON_CHARS
from prospects.vocabulary import say


def template_key_choices() -> list[tuple[str, str]]:
    """The template keys in use as a filter's choices, each in words, sorted by them."""
    return sorted(
        ((key, say("template_key", key)) for key in template_keys_in_use()),
        key=lambda choice: choice[1],
    )


class QueueFiltersForm(forms.Form):
    """The queue's filters as the page's query string; ``ReviewQueueFilter`` judges them."""

    filters = forms.CharField(required=False, strip=False)

    def clean_filters(self) -> QueryDict:
        return QueryDict(self.cleaned_data["filters"], mutable=True)


class ReviewActionForm(forms.Form):
    """An action's form. The pane draws every action's form at once, so each form's ids
    start with its action rather than ``id_``."""

    action = ""
    # The id of the action's own <form> in the pane; the button actions have none, and
    # their errors show in a box by the buttons.
    form_id = ""

    def __init__(self, *args, draft: Draft, **kwargs):
        kwargs.setdefault("auto_id", f"{self.action}_%s")
        super().__init__(*args, **kwargs)
        self.draft = draft


OVERRIDE_REASON_CHARS = 300


def _override() -> forms.BooleanField:
    return forms.BooleanField(required=False, label="Send anyway, overriding the hold")


def _override_reason() -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=OVERRIDE_REASON_CHARS,
        label="Why it may go out",
        help_text="One line, kept with the draft and its history.",
    )


class ApproveForm(ReviewActionForm):
    action = "approve"
    override = _override()
    reason = _override_reason()


class DraftAgainForm(ReviewActionForm):
    action = "again"


class SkipForm(ReviewActionForm):
    action = "skip"


def _reason_tags(label: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=ReasonTag.choices,
        required=False,
        label=label,
        widget=forms.CheckboxSelectMultiple,
    )


class CorrectForm(ReviewActionForm):
    action = "correct"
    form_id = "edit-form"
    body = forms.CharField(
        label="Corrected reply",
        widget=forms.Textarea(attrs={"rows": 5, "class": "wide"}),
        error_messages={"required": "The corrected reply cannot be empty."},
    )
    reason_tags = _reason_tags("Why (optional)")
    override = _override()
    reason = _override_reason()

    def __init__(self, *args, draft: Draft, **kwargs):
        kwargs.setdefault("initial", {"body": draft.body})
        super().__init__(*args, draft=draft, **kwargs)


class RejectForm(ReviewActionForm):
    action = "reject"
    form_id = "reject-form"
    reason_tags = _reason_tags("Why")


class MoveForm(ReviewActionForm):
    """The right move for the draft's decision, its decided move marked and preselected;
    the pane shows each move with its meaning, prospect moves apart from the others."""

    action = "move"
    form_id = "move-form"
    move = forms.ChoiceField(label="The right move", widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Why (one sentence, optional)",
        required=False,
        max_length=MAX_REASON_CHARS,
        widget=forms.TextInput(
            attrs={
                "class": "wide",
                "placeholder": "e.g. He offers to photograph her: a business opportunity.",
            }
        ),
    )

    def __init__(self, *args, draft: Draft, **kwargs):
        decided = draft.decision.move
        kwargs.setdefault("initial", {"move": decided})
        super().__init__(*args, draft=draft, **kwargs)
        field = self.fields["move"]
        field.choices = [
            (move, f"{move_name(move)} (decided)" if move == decided else move_name(move))
            for move in all_moves()
        ]
        # A stale page may offer a move no longer configured.
        field.error_messages["invalid_choice"] = "That move is not offered: choose one above."

    def move_groups(self) -> list[tuple[str, list]]:
        """The move's radio buttons: (group title, buttons), prospect moves first."""
        radios = {radio.data["value"]: radio for radio in self["move"]}
        return [
            ("A prospect", [radios[move] for move in prospect_moves()]),
            ("Not a prospect", [radios[move] for move in not_prospect_moves()]),
        ]


class SendPaceForm(forms.ModelForm):
    reason = PlainTextField(
        max_length=REASON_MAX_CHARS, help_text="Why the pace changes, kept in the history below."
    )

    class Meta:
        model = SendPace
        fields = PACE_FIELDS
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}),
        }
        labels = {
            "quiet_start": "Quiet hours start",
            "quiet_end": "Quiet hours end",
            "typing_chars_per_minute": "Typing speed (characters a minute)",
            "min_delay_seconds": "Shortest wait (seconds)",
            "max_delay_seconds": "Longest wait (seconds)",
        }
