"""Dispatch: hand an approved draft to the messaging bridge, at most once."""

import hashlib
import hmac
import json
import logging
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from builder.taxonomy import ThreadState
from engines.clock import now
from engines.holds import HoldReason
from prospects.enqueue import dispatch_later
from prospects.inbound import gate2
from prospects.inbound.decide import decide_next_action
from prospects.inbound.safety_memory import remembered_safety
from prospects.models import Draft, Thread
from prospects.review.transitions import draft_hold, draft_transition
from prospects.selectors import sends_in_last_day

logger = logging.getLogger(__name__)


def draft_dispatch(*, draft_id) -> Draft:
    """Posts an approved draft to the bridge webhook; safe to call any number of times.

    1. Under a lock on the thread, so sends to one thread go one at a time: claim the
       send with a conditional update (if it fails, another process got there first, or
       the draft is not approved, and nothing is sent), then check again what may have
       changed since the decision: a reply already sent to the same message holds with
       ``already_answered``; Gate-2's daily cap and closed thread hold with ``gate2_hold``.
    2. No bridge configured: hold with ``no_bridge``.
    3. Post, signed, with the draft id as idempotency key; any bridge error holds the draft
       with ``bridge_error`` and what went wrong (never the webhook's secret query).
    4. Mark it sent.
    """
    with transaction.atomic():
        thread_id = Draft.objects.filter(id=draft_id).values_list("thread_id", flat=True).get()
        thread = Thread.objects.select_for_update().get(id=thread_id)
        claimed = Draft.objects.filter(
            id=draft_id, status=Draft.Status.APPROVED, dispatch_claimed_at__isnull=True
        ).update(dispatch_claimed_at=now())
        draft = Draft.objects.select_related("thread", "decision").get(id=draft_id)
        if claimed != 1:
            return draft
        refused = _refused_at_send_time(draft, thread)
        if refused is not None:
            return draft_hold(draft_id=draft.id, reason=refused[0], detail=refused[1])
    if not settings.BRIDGE_WEBHOOK_URL:
        return draft_hold(
            draft_id=draft.id,
            reason=HoldReason.NO_BRIDGE,
            detail="BRIDGE_WEBHOOK_URL is not set.",
        )
    body = json.dumps(
        {"draft_id": str(draft.id), "thread": draft.thread.handle, "body": draft.body}
    ).encode()
    try:
        response = httpx.post(
            settings.BRIDGE_WEBHOOK_URL,
            content=body,
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": str(draft.id),
                SIGNATURE_HEADER: signature(body, timestamp=int(now().timestamp())),
            },
            timeout=settings.BRIDGE_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
    except httpx.HTTPError as error:
        problem = _bridge_problem(error)
        logger.warning("bridge refused draft %s: %s", draft.id, problem)
        return draft_hold(draft_id=draft.id, reason=HoldReason.BRIDGE_ERROR, detail=problem)
    return draft_transition(
        draft.id,
        allowed_from=[Draft.Status.APPROVED],
        reason="sent",
        status=Draft.Status.SENT,
        sent_at=now(),
    )


def _refused_at_send_time(draft: Draft, thread: Thread) -> tuple[HoldReason, str] | None:
    answered = (
        Draft.objects.filter(
            Q(status=Draft.Status.SENT)
            | Q(status=Draft.Status.APPROVED, dispatch_claimed_at__isnull=False),
            decision__message_id=draft.decision.message_id,
        )
        .exclude(id=draft.id)
        .exists()
    )
    if answered:
        return HoldReason.ALREADY_ANSWERED, "Another reply to this message was sent."
    action = decide_next_action(move=draft.decision.move, state=draft.decision.state)
    overridden_safety = bool(gate2.PERSON_ONLY_RULES & set(draft.overridden_rules))
    result = gate2.evaluate_at_send(
        thread_state=thread.state,
        closes_thread=action.next_state == ThreadState.CLOSED,
        sends_today=sends_in_last_day(thread, exclude_draft=draft.id),
        max_sends_per_day=settings.GATE2_MAX_SENDS_PER_DAY,
        remembered_safety=""
        if overridden_safety
        else remembered_safety(thread.id, besides_message_id=draft.decision.message_id),
    )
    if result.forces_hold:
        return HoldReason.GATE2, "Gate-2 rules at send time: " + ", ".join(result.failed_rules)
    return None


SIGNATURE_HEADER = "X-Prospector-Signature"


def signature(body: bytes, *, timestamp: int) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>`` with BRIDGE_SIGNING_SECRET:
    the bridge recomputes it and refuses a stale timestamp (a replay)."""
    digest = hmac.new(
        settings.BRIDGE_SIGNING_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def _bridge_problem(error: httpx.HTTPError) -> str:
    """What went wrong, without the webhook URL: its query string may carry a secret."""
    if isinstance(error, httpx.HTTPStatusError):
        return f"The bridge answered {error.response.status_code}."
    return f"{type(error).__name__} reaching the bridge."


def drafts_dispatch_stale() -> int:
    """Dispatches again the approved drafts that were never sent: a send claimed longer
    than DISPATCH_STALE_SECONDS ago (the worker died between the claim and the row update)
    or never claimed (the enqueue was lost). The draft id stays the Idempotency-Key, so
    a bridge that already took it does not deliver it twice. Returns how many."""
    stale = now() - timedelta(seconds=settings.DISPATCH_STALE_SECONDS)
    due = list(
        Draft.objects.filter(
            Q(dispatch_claimed_at__lt=stale) | Q(dispatch_claimed_at__isnull=True),
            status=Draft.Status.APPROVED,
            updated_at__lt=stale,
        ).values_list("id", flat=True)[:1000]
    )
    for draft_id in due:
        # Conditional: of two sweepers, one re-opens the claim.
        reopened = Draft.objects.filter(
            Q(dispatch_claimed_at__lt=stale) | Q(dispatch_claimed_at__isnull=True),
            id=draft_id,
            status=Draft.Status.APPROVED,
        ).update(dispatch_claimed_at=None, updated_at=now())
        if reopened:
            dispatch_later(draft_id)
    return len(due)
