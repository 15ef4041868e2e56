"""Dispatch: hand an approved draft to the messaging bridge, at most once."""

import logging

import httpx
from django.conf import settings

from engines.clock import now
from engines.holds import HoldReason
from prospects.models import Draft
from prospects.transitions import draft_hold, draft_transition

logger = logging.getLogger(__name__)


def draft_dispatch(*, draft_id) -> Draft:
    """Posts an approved draft to the bridge webhook; safe to call any number of times.

    1. Claim the send with a conditional update; if the claim fails, another process
       got there first (or the draft is not approved) and nothing is sent.
    2. No bridge configured: hold with ``no_bridge``.
    3. Post with the draft id as idempotency key; any bridge error holds the draft with
       ``bridge_error`` and the error text, never a silent drop.
    4. Mark it sent.
    """
    claimed = Draft.objects.filter(
        id=draft_id, status=Draft.Status.APPROVED, dispatch_claimed_at__isnull=True
    ).update(dispatch_claimed_at=now())
    draft = Draft.objects.select_related("thread").get(id=draft_id)
    if claimed != 1:
        return draft
    if not settings.BRIDGE_WEBHOOK_URL:
        return draft_hold(
            draft_id=draft.id,
            reason=HoldReason.NO_BRIDGE,
            detail="BRIDGE_WEBHOOK_URL is not set.",
        )
    payload = {"draft_id": str(draft.id), "thread": draft.thread.handle, "body": draft.body}
    try:
        response = httpx.post(
            settings.BRIDGE_WEBHOOK_URL,
            json=payload,
            headers={"Idempotency-Key": str(draft.id)},
            timeout=settings.BRIDGE_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
    except httpx.HTTPError as error:
        logger.warning("bridge refused draft %s: %s", draft.id, error)
        return draft_hold(
            draft_id=draft.id,
            reason=HoldReason.BRIDGE_ERROR,
            detail=f"{type(error).__name__}: {error}",
        )
    return draft_transition(
        draft.id,
        allowed_from=[Draft.Status.APPROVED],
        reason="sent",
        status=Draft.Status.SENT,
        sent_at=now(),
    )
