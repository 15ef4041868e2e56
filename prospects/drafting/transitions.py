"""Draft status changes as conditional updates: of two concurrent callers exactly one wins."""

from django.db import transaction
from django.db.models import Q

from core.clock import now
from core.history import history_record_update
from engines.holds import HoldReason
from prospects.events.services import draft_event_emit
from prospects.models import Draft


def draft_transition(
    draft_id, *, allowed_from, when: Q | None = None, user=None, reason: str, **changes
) -> Draft | None:
    """Applies ``changes`` only if the draft's status is still in ``allowed_from`` and it
    still matches ``when``.

    Returns the updated draft, or None when another process got there first.
    The audit row is written in the same transaction (``core.history``).
    """
    with transaction.atomic():
        updated = Draft.objects.filter(when or Q(), id=draft_id, status__in=allowed_from).update(
            updated_at=now(), **changes
        )
        if updated != 1:
            return None
        return history_record_update(Draft, draft_id, user=user, reason=reason)


def draft_hold(*, draft_id, reason: HoldReason, detail: str = "", user=None) -> Draft | None:
    """Puts an approved draft back on hold, e.g. when the bridge refused it, and tells
    integrators (``draft.held``) in the same transaction."""
    with transaction.atomic():
        draft = draft_transition(
            draft_id,
            allowed_from=[Draft.Status.APPROVED],
            user=user,
            reason=f"hold:{reason}",
            status=Draft.Status.HELD,
            hold_reason=reason,
            hold_detail=detail,
            dispatch_claimed_at=None,
        )
        if draft is not None:
            draft_event_emit(draft)
    return draft
