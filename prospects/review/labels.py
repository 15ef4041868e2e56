"""People's word on decisions' moves: the labels classifier training and evaluations read.

A coworker corrects a move in the review pane ("wrong move"), labels any decision on the
Decisions page (spam that got no draft too, one by one or several at once), or confirms a
move by approving the decision's draft without an edit. Either way the label is bound to
the classifier that decided (a build's engine id, or "rules"), so each build is scored on
what people said of its own decisions. A person's word outranks a confirmation; a
confirmation never overwrites it.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from core.untrusted import normalise
from engines.moves import all_moves, is_prospect_move, move_name
from prospects.models import Decision, MoveLabel

MAX_REASON_CHARS = 300


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else f"{text}."


@transaction.atomic
def move_label_correct(*, decision_id, move: str, reason: str = "", user) -> MoveLabel:
    """Records a person's move for a decision (``is_prospect`` follows from the move, as
    the contract's invariant says). ``ValidationError`` names the field on bad input;
    ``Decision.DoesNotExist`` for an unknown decision."""
    return _label(decision_id, move, reason, user, MoveLabel.Source.CORRECTED)


MAX_LABELS_AT_ONCE = 200


@transaction.atomic
def move_labels_set(*, decision_ids, move: str, reason: str = "", user) -> int:
    """Labels several decisions with one move (the Decisions page's bulk action); returns
    how many. ``ValidationError`` names the field: an unknown move, no decision, too
    many, or a decision that does not exist."""
    decision_ids = list(dict.fromkeys(decision_ids))
    if not decision_ids:
        raise ValidationError({"decisions": ["Tick at least one decision."]})
    if len(decision_ids) > MAX_LABELS_AT_ONCE:
        raise ValidationError({"decisions": [f"At most {MAX_LABELS_AT_ONCE} at once."]})
    found = set(Decision.objects.filter(id__in=decision_ids).values_list("id", flat=True))
    if len(found) != len(decision_ids):
        raise ValidationError({"decisions": ["Some of these decisions no longer exist."]})
    for decision_id in decision_ids:
        _label(decision_id, move, reason, user, MoveLabel.Source.LABELLED)
    return len(decision_ids)


def moves_listed() -> str:
    return f"One of: {', '.join(all_moves())}."


def _label(decision_id, move: str, reason: str, user, source: str) -> MoveLabel:
    decision = Decision.objects.select_for_update().get(id=decision_id)
    errors = {}
    if move not in all_moves():
        errors["move"] = [moves_listed()]
    reason = normalise(reason or "").strip()
    if len(reason) > MAX_REASON_CHARS:
        errors["reason"] = [f"At most {MAX_REASON_CHARS} characters."]
    if errors:
        raise ValidationError(errors)
    if not reason:
        reason = (
            f"A coworker read this as {move_name(move)}"
            if move == decision.move
            else f"A coworker read this as {move_name(move)}, not {move_name(decision.move)}"
        )
    label, _ = MoveLabel.objects.update_or_create(
        decision=decision,
        defaults={
            "source": source,
            "move": move,
            "is_prospect": is_prospect_move(move),
            "reason": _sentence(reason),
            "classifier": decision.classified_by,
            "decided_move": decision.move,
            "author": user,
        },
    )
    return label


def move_label_confirm(*, decision_id, user) -> MoveLabel | None:
    """An approval without edit says the decision's move was right: a confirmed label, with
    the decision's own trace (its cue sentence) as the reason. None when a person has
    labelled it already."""
    decision = Decision.objects.filter(id=decision_id).first()
    if decision is None or MoveLabel.objects.filter(decision_id=decision_id).exists():
        return None
    label, _ = MoveLabel.objects.get_or_create(
        decision=decision,
        defaults={
            "source": MoveLabel.Source.CONFIRMED,
            "move": decision.move,
            "is_prospect": decision.is_prospect,
            "reason": _sentence(decision.trace or f"Approved as {move_name(decision.move)}"),
            "classifier": decision.classified_by,
            "decided_move": decision.move,
            "author": user,
        },
    )
    return label
