"""Draft status changes as conditional updates: of two concurrent callers exactly one wins."""

from django.db import transaction
from django.db.models import Q

from engines.clock import now
from engines.holds import HoldReason
from prospects.models import Draft


def draft_transition(
    draft_id, *, allowed_from, when: Q | None = None, user=None, reason: str, **changes
) -> Draft | None:
    """Applies ``changes`` only if the draft's status is still in ``allowed_from`` and it
    still matches ``when``.

    Returns the updated draft, or None when another process got there first.
    simple-history does not see queryset updates, so the audit row is written here, in
    the same transaction.
    """
    with transaction.atomic():
        updated = Draft.objects.filter(when or Q(), id=draft_id, status__in=allowed_from).update(
            updated_at=now(), **changes
        )
        if updated != 1:
            return None
        draft = Draft.objects.get(id=draft_id)
        fields = {field.attname: getattr(draft, field.attname) for field in Draft._meta.fields}
        Draft.history.model.objects.create(
            history_date=now(),
            history_type="~",
            history_user=user,
            history_change_reason=reason,
            **fields,
        )
    return draft


def draft_hold(*, draft_id, reason: HoldReason, detail: str = "", user=None) -> Draft | None:
    """Puts an approved draft back on hold, e.g. when the bridge refused it."""
    return draft_transition(
        draft_id,
        allowed_from=[Draft.Status.APPROVED],
        user=user,
        reason=f"hold:{reason}",
        status=Draft.Status.HELD,
        hold_reason=reason,
        hold_detail=detail,
        dispatch_claimed_at=None,
    )
