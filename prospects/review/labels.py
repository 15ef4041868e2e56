"""People's word on decisions' moves: the labels classifier training and evaluations read.

A coworker corrects a move in the review pane ("wrong move"), or confirms it by approving
the decision's draft without an edit. Either way the label is bound to the classifier that
decided (a build's engine id, or "rules"), so each build is scored on what people said of
its own decisions. A correction outranks a confirmation; a confirmation never overwrites
a correction.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from engines.moves import all_moves, is_prospect_move
from engines.untrusted import normalise
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
    decision = Decision.objects.select_for_update().get(id=decision_id)
    errors = {}
    if move not in all_moves():
        errors["move"] = [f"One of: {', '.join(all_moves())}."]
    reason = normalise(reason or "").strip()
    if len(reason) > MAX_REASON_CHARS:
        errors["reason"] = [f"At most {MAX_REASON_CHARS} characters."]
    if errors:
        raise ValidationError(errors)
    if not reason:
        reason = f"A coworker read this as {move}, not {decision.move}"
    label, _ = MoveLabel.objects.update_or_create(
        decision=decision,
        defaults={
            "source": MoveLabel.Source.CORRECTED,
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
            "reason": _sentence(decision.trace or f"Approved as {decision.move}"),
            "classifier": decision.classified_by,
            "decided_move": decision.move,
            "author": user,
        },
    )
    return label
