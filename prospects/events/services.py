"""Events for integrators: written as delivery rows in the caller's transaction, posted by
the worker after the commit, signed as the bridge's webhook (``core.signing``).

A subscriber that is down never slows ingest or drafting: ``event_emit`` only writes rows
and enqueues after the commit; the post, its timeout and its retries are the worker's."""

import json
import logging
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from core.checks import weak_secret
from core.clock import now
from core.signing import SIGNATURE_HEADER, signature
from engines.holds import HoldReason
from prospects.enqueue import webhook_delivery_later
from prospects.events.models import EventName, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

EVENT_HEADER = "X-Prospector-Event"
# Deliveries the sweeper re-queues per run.
SWEEP_BATCH = 500


# --- subscriptions ------------------------------------------------------------------------


def subscription_create(*, url: str, events: list[str], description: str = "", user=None):
    """A new active subscription; raises ``ValidationError`` by field."""
    subscription = WebhookSubscription(
        url=url, events=sorted(set(events)), description=description, created_by=user
    )
    subscription.full_clean()
    subscription.save()
    return subscription


def subscription_update(*, subscription: WebhookSubscription, **changes) -> WebhookSubscription:
    """Changes ``url``, ``events``, ``description`` or ``active``; raises
    ``ValidationError`` by field and then saves nothing."""
    for name, value in changes.items():
        setattr(subscription, name, sorted(set(value)) if name == "events" else value)
    subscription.full_clean()
    subscription.save()
    return subscription


def subscription_deactivate(*, subscription: WebhookSubscription) -> WebhookSubscription:
    """No new events go to it; deliveries already written still go (they were due when
    it was active)."""
    return subscription_update(subscription=subscription, active=False)


# --- emitting -----------------------------------------------------------------------------


def event_emit(name: EventName, data: dict) -> list[WebhookDelivery]:
    """Writes one delivery per active subscription to ``name``, in the caller's
    transaction, and queues each only once that transaction commits: a rolled-back change
    tells no one, and the caller never waits on a subscriber. Returns the rows."""
    name = EventName(name)
    subscriptions = [
        subscription
        for subscription in WebhookSubscription.objects.filter(active=True)
        if name in subscription.events
    ]
    occurred_at = now()
    deliveries = []
    for subscription in subscriptions:
        delivery = WebhookDelivery(subscription=subscription, event=name, next_try_at=occurred_at)
        delivery.idempotency_key = str(delivery.id)
        delivery.payload = {
            "id": delivery.idempotency_key,
            "event": str(name),
            "occurred_at": occurred_at.isoformat(),
            "data": data,
        }
        deliveries.append(delivery)
    WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        transaction.on_commit(lambda delivery_id=delivery.id: webhook_delivery_later(delivery_id))
    return deliveries


def draft_event_emit(draft) -> list[WebhookDelivery]:
    """The event a draft's new status makes, in the caller's transaction: ``draft.sent``
    for a sent draft; ``draft.ready`` for one held because its key is reviewed (nothing
    is wrong with it: it waits for a person); ``draft.held`` for one held for any other
    reason; none for other statuses."""
    if draft.status == "sent":
        name = EventName.DRAFT_SENT
    elif draft.status == "held" and draft.hold_reason == HoldReason.REVIEW_MODE:
        name = EventName.DRAFT_READY
    elif draft.status == "held":
        name = EventName.DRAFT_HELD
    else:
        return []
    return event_emit(name, draft_event_data(draft))


def draft_event_data(draft) -> dict:
    """What ``draft.ready``, ``draft.held`` and ``draft.sent`` carry about a draft."""
    return {
        "draft_id": str(draft.id),
        "thread": draft.thread.handle,
        "status": draft.status,
        "hold_reason": draft.hold_reason,
        "hold_detail": draft.hold_detail,
        "body": draft.body,
        "engine_id": draft.engine_id,
        "workflow_version": str(draft.workflow_version_id) if draft.workflow_version_id else None,
        "experiment_arm": draft.experiment_arm,
        "sent_at": draft.sent_at.isoformat() if draft.sent_at else None,
    }


def thread_outcome_data(*, thread, outcome: str, recorded_at=None, **extra) -> dict:
    """What ``thread.outcome`` carries: the thread, its outcome code, when it was recorded,
    and whatever the outcome service adds (``extra``, JSON-ready)."""
    return {
        "thread": thread.handle,
        "thread_id": str(thread.id),
        "outcome": outcome,
        "recorded_at": (recorded_at or now()).isoformat(),
        **extra,
    }


def thread_outcome_emit(*, thread, outcome: str, recorded_at=None, **extra):
    """``thread.outcome`` for integrators; call it inside the transaction that records the
    outcome (the outcome service), so a rolled-back outcome tells no one."""
    return event_emit(
        EventName.THREAD_OUTCOME,
        thread_outcome_data(thread=thread, outcome=outcome, recorded_at=recorded_at, **extra),
    )


# --- delivering ---------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> float:
    """The pause after the ``attempts``-th failed try: doubling from the base, capped."""
    base = settings.WEBHOOK_BACKOFF_BASE_SECONDS
    return min(settings.WEBHOOK_BACKOFF_CAP_SECONDS, base * 2 ** max(attempts - 1, 0))


def _claim_stale_before():
    # A claim older than a post's timeout (and a margin) lost its worker.
    return now() - timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 60)


def delivery_attempt(*, delivery_id) -> WebhookDelivery | None:
    """Posts one delivery if it is due; safe to call any number of times.

    1. Claim it with a conditional update: still pending or failed, due, and not claimed
       by a live worker. If that updates nothing, another worker got there first, or it
       was delivered or given up, and nothing is posted.
    2. Post the stored payload, outside any transaction, signed, with the delivery's own
       Idempotency-Key (the same on every attempt) and a short timeout. With no signing
       secret strong enough nothing is posted, and the attempt fails with that reason.
    3. A 2xx answer: ``delivered``. Anything else: ``failed`` with the next try
       ``backoff_seconds`` later, or ``gave_up`` at ``WEBHOOK_MAX_ATTEMPTS``.
    Returns the row as left, or None when it was not claimed.
    """
    claimed = WebhookDelivery.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=_claim_stale_before()),
        Q(next_try_at__isnull=True) | Q(next_try_at__lte=now()),
        id=delivery_id,
        status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
    ).update(claimed_at=now())
    if claimed != 1:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(id=delivery_id)
    status_code, problem = _post(delivery)
    attempts = delivery.attempts + 1
    fields = {"attempts": attempts, "claimed_at": None, "last_status_code": status_code}
    if problem is None:
        fields |= {
            "status": WebhookDelivery.Status.DELIVERED,
            "delivered_at": now(),
            "next_try_at": None,
            "last_error": "",
        }
    elif attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        fields |= {"status": WebhookDelivery.Status.GAVE_UP, "next_try_at": None}
        fields["last_error"] = problem
    else:
        fields |= {
            "status": WebhookDelivery.Status.FAILED,
            "next_try_at": now() + timedelta(seconds=backoff_seconds(attempts)),
            "last_error": problem,
        }
    WebhookDelivery.objects.filter(id=delivery_id).update(**fields)
    delivery.refresh_from_db()
    return delivery


def _post(delivery: WebhookDelivery) -> tuple[int | None, str | None]:
    """The answer's status code and what went wrong (None when it was a 2xx)."""
    unusable = weak_secret("BRIDGE_SIGNING_SECRET", settings.BRIDGE_SIGNING_SECRET)
    if unusable:
        # Unsigned or weakly signed, anyone who finds a subscriber's URL could post as us.
        return None, f"Not sent: {unusable}"
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    key = delivery.idempotency_key
    try:
        response = httpx.post(
            delivery.subscription.url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": key,
                EVENT_HEADER: delivery.event,
                SIGNATURE_HEADER: signature(
                    body, idempotency_key=key, timestamp=int(now().timestamp())
                ),
            },
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        )
    except httpx.TimeoutException:
        problem = f"No answer within {settings.WEBHOOK_TIMEOUT_SECONDS:g} s."
    except httpx.HTTPError as error:
        # Never the URL: its query string may carry the subscriber's secret.
        problem = f"{type(error).__name__} reaching the subscriber."
    else:
        if response.is_success:
            return response.status_code, None
        return response.status_code, f"The subscriber answered {response.status_code}."
    logger.warning("webhook delivery %s failed: %s", delivery.id, problem)
    return None, problem


def delivery_send_again(*, delivery: WebhookDelivery) -> bool:
    """Puts a failed or given-up delivery back to the front: pending, its attempts
    counted afresh, due now, and queued after the commit. Under the same
    Idempotency-Key, so a subscriber that took it already takes it once. Returns whether
    it was reset (False for one delivered or pending)."""
    with transaction.atomic():
        reset = WebhookDelivery.objects.filter(
            id=delivery.id,
            status__in=[WebhookDelivery.Status.FAILED, WebhookDelivery.Status.GAVE_UP],
        ).update(
            status=WebhookDelivery.Status.PENDING, attempts=0, next_try_at=now(), claimed_at=None
        )
        if reset:
            transaction.on_commit(lambda: webhook_delivery_later(delivery.id))
    delivery.refresh_from_db()
    return bool(reset)


def deliveries_sweep() -> int:
    """Queues every delivery that is due (a retry whose time came, or one whose task was
    lost with a broker or a worker); the claim keeps a delivery to one post at a time.
    Returns how many were queued."""
    due = list(
        WebhookDelivery.objects.filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=_claim_stale_before()),
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
            next_try_at__lte=now(),
        )
        .order_by("next_try_at")
        .values_list("id", flat=True)[:SWEEP_BATCH]
    )
    for delivery_id in due:
        webhook_delivery_later(delivery_id)
    return len(due)
