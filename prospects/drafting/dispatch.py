"""Dispatch: hand an approved draft to the messaging bridge, at most once."""

import json
import logging
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from builder.taxonomy import ThreadState
from core.checks import weak_secret
from core.clock import now
from core.signing import SIGNATURE_HEADER, signature
from engines.holds import HoldReason
from prospects.deciding import decision_gate
from prospects.deciding.next_action import decide_next_action
from prospects.deciding.safety_memory import remembered_safety
from prospects.drafting.transitions import draft_hold, draft_transition
from prospects.enqueue import dispatch_later
from prospects.events.services import draft_event_emit
from prospects.models import Draft, PipelineSettings, Thread
from prospects.selectors import pipeline_settings, sends_in_last_day, sends_without_person_today

logger = logging.getLogger(__name__)


def draft_dispatch(*, draft_id) -> Draft:
    """Posts an approved draft to the bridge webhook; safe to call any number of times.

    1. Under a lock on the thread, so sends to one thread go one at a time: claim the
       send with a conditional update (if it fails, another process got there first, the
       draft is not approved, or its release time (``drafting.pace``) has not come, and
       nothing is sent), then check again what may have
       changed since the decision: a reply already out to the same message
       (``Draft.objects.replies_out``) holds with ``already_answered``; Gate-2's daily cap
       and closed thread hold with ``gate2_hold``; a draft no person approved, past the
       pipeline's daily send cap, holds with ``daily_send_cap``.
    2. No bridge configured, or no signing secret strong enough: hold with ``no_bridge``.
    3. Post, signed, with the draft id as idempotency key. A post that may have arrived
       with no answer (a timeout) holds with ``bridge_unknown`` and keeps its claim, so it
       still counts as a reply out; approving it again re-posts it under the same key. Any
       other bridge error holds with ``bridge_error``. Details never carry the webhook's
       secret query.
    4. Mark it sent.
    """
    with transaction.atomic():
        thread_id = Draft.objects.filter(id=draft_id).values_list("thread_id", flat=True).get()
        thread = Thread.objects.select_for_update().get(id=thread_id)
        claimed = Draft.objects.filter(
            due(), id=draft_id, status=Draft.Status.APPROVED, dispatch_claimed_at__isnull=True
        ).update(dispatch_claimed_at=now())
        draft = Draft.objects.select_related("thread", "decision").get(id=draft_id)
        if claimed != 1:
            return draft
        refused = _refused_at_send_time(draft, thread)
        if refused is not None:
            return draft_hold(draft_id=draft.id, reason=refused[0], detail=refused[1])
    unusable = bridge_unusable()
    if unusable:
        return draft_hold(draft_id=draft.id, reason=HoldReason.NO_BRIDGE, detail=unusable)
    return _post(draft)


def bridge_unusable() -> str | None:
    """Why nothing may be posted to the bridge, in the operator's words; None when it may.
    An unsigned or weakly signed webhook would let anyone who finds its URL send as us."""
    if not settings.BRIDGE_WEBHOOK_URL:
        return "BRIDGE_WEBHOOK_URL is not set."
    return weak_secret("BRIDGE_SIGNING_SECRET", settings.BRIDGE_SIGNING_SECRET)


def _post(draft: Draft) -> Draft:
    key = str(draft.id)
    body = json.dumps({"draft_id": key, "thread": draft.thread.handle, "body": draft.body}).encode()
    try:
        response = httpx.post(
            settings.BRIDGE_WEBHOOK_URL,
            content=body,
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": key,
                SIGNATURE_HEADER: signature(
                    body, idempotency_key=key, timestamp=int(now().timestamp())
                ),
            },
            timeout=settings.BRIDGE_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
    except httpx.HTTPError as error:
        problem = _bridge_problem(error)
        logger.warning("bridge post of draft %s failed: %s", draft.id, problem)
        if _may_have_arrived(error):
            return _hold_unknown(draft, problem)
        return draft_hold(draft_id=draft.id, reason=HoldReason.BRIDGE_ERROR, detail=problem)
    return _transition_and_tell(
        draft.id,
        allowed_from=[Draft.Status.APPROVED],
        reason="sent",
        status=Draft.Status.SENT,
        sent_at=now(),
    )


def _transition_and_tell(draft_id, **transition) -> Draft | None:
    """A status change and its event for integrators, in one transaction."""
    with transaction.atomic():
        draft = draft_transition(draft_id, **transition)
        if draft is not None:
            draft_event_emit(draft)
    return draft


# Raised before any byte of the request left: the bridge cannot have it.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
)


def _may_have_arrived(error: httpx.HTTPError) -> bool:
    """A post the bridge may have taken though we never heard so: anything after the
    connection opened but before an answer, and a proxy's gateway timeout."""
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code == httpx.codes.GATEWAY_TIMEOUT
    return not isinstance(error, _NOT_SENT)


def _hold_unknown(draft: Draft, problem: str) -> Draft:
    # The claim stays: its time is when the reply may have gone out, which the daily cap
    # and "already answered" count (Draft.objects.replies_out).
    return _transition_and_tell(
        draft.id,
        allowed_from=[Draft.Status.APPROVED],
        reason=f"hold:{HoldReason.BRIDGE_UNKNOWN}",
        status=Draft.Status.HELD,
        hold_reason=HoldReason.BRIDGE_UNKNOWN,
        hold_detail=(
            f"{problem} The reply may have been delivered. Approve it again to re-post it "
            "under the same Idempotency-Key: the bridge delivers a key once."
        ),
    )


def _refused_at_send_time(draft: Draft, thread: Thread) -> tuple[HoldReason, str] | None:
    answered = (
        Draft.objects.replies_out()
        .filter(decision__message_id=draft.decision.message_id)
        .exclude(id=draft.id)
        .exists()
    )
    if answered:
        return (
            HoldReason.ALREADY_ANSWERED,
            "Another reply to this message is out: sent, being sent, or posted with no answer.",
        )
    action = decide_next_action(move=draft.decision.move, state=draft.decision.state)
    overridden_safety = bool(decision_gate.PERSON_ONLY_RULES & set(draft.overridden_rules))
    result = decision_gate.evaluate_at_send(
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
    if draft.reviewed_by_id is None:
        return _over_daily_send_cap(draft)
    return None


def _over_daily_send_cap(draft: Draft) -> tuple[HoldReason, str] | None:
    """The pipeline's daily send cap, for a draft no person approved. The settings row is
    locked until the claim commits, so two dispatchers cannot both take the last send."""
    cap = PipelineSettings.objects.select_for_update().get(id=pipeline_settings().id)
    if cap.daily_send_cap is None:
        return None
    if sends_without_person_today(exclude_draft=draft.id) < cap.daily_send_cap:
        return None
    sent = "1 reply was" if cap.daily_send_cap == 1 else f"{cap.daily_send_cap:,} replies were"
    return (
        HoldReason.DAILY_SEND_CAP,
        f"The daily send cap is reached: {sent} already sent without a person today (UTC). "
        "Approve it to send it.",
    )


def _bridge_problem(error: httpx.HTTPError) -> str:
    """What went wrong, without the webhook URL: its query string may carry a secret."""
    if isinstance(error, httpx.HTTPStatusError):
        return f"The bridge answered {error.response.status_code}."
    if isinstance(error, httpx.TimeoutException):
        return f"The bridge did not answer within {settings.BRIDGE_TIMEOUT_SECONDS:g} s."
    return f"{type(error).__name__} reaching the bridge."


def due() -> Q:
    """An approved draft whose release time has come (or that has none)."""
    return Q(release_at__isnull=True) | Q(release_at__lte=now())


def drafts_dispatch_stale() -> int:
    """Dispatches the approved drafts that were never sent: a send claimed longer than
    DISPATCH_STALE_SECONDS ago (the worker died between the claim and the row update), a
    scheduled one whose release time has come (too far off for a countdown, or its task
    lost), or one never claimed (the enqueue was lost). The draft id stays the
    Idempotency-Key, so a bridge that already took it does not deliver it twice. Returns
    how many."""
    stale = now() - timedelta(seconds=settings.DISPATCH_STALE_SECONDS)
    # A scheduled send is due at its release time; the others once the enqueue is stale.
    unsent = Q(dispatch_claimed_at__isnull=True) & (
        Q(release_at__lte=now()) | Q(release_at__isnull=True, updated_at__lt=stale)
    )
    found = list(
        Draft.objects.filter(
            Q(dispatch_claimed_at__lt=stale) | unsent, status=Draft.Status.APPROVED
        ).values_list("id", flat=True)[:1000]
    )
    for draft_id in found:
        # Conditional: of two sweepers, one re-opens the claim.
        reopened = Draft.objects.filter(
            Q(dispatch_claimed_at__lt=stale) | Q(dispatch_claimed_at__isnull=True),
            id=draft_id,
            status=Draft.Status.APPROVED,
        ).update(dispatch_claimed_at=None, updated_at=now())
        if reopened:
            dispatch_later(draft_id)
    return len(found)
