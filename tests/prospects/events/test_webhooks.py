"""Events for integrators (issue 33): one signed delivery per subscriber of an event,
written with the change and posted after the commit; retries with a capped, doubling
pause; "send again"; a subscriber that is down never slows ingest or drafting."""

import json
import time
from datetime import timedelta

import pytest
import redis
from django.core.exceptions import ValidationError

from config.celery import app as celery_app
from core.clock import now
from deploy.bridge_verifier import signature_valid
from engines.holds import HoldReason
from prospects.drafting.runner import live_draft_run
from prospects.events.models import EventName, WebhookDelivery
from prospects.events.services import (
    deliveries_sweep,
    delivery_attempt,
    delivery_send_again,
    event_emit,
    subscription_update,
    thread_outcome_emit,
)
from prospects.models import Draft
from tests.support.bridge import BRIDGE_SECRET
from tests.support.drafting import ingest
from tests.support.factories import make_inbound

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status
SECOND = timedelta(seconds=1)


def test_emit_writes_a_delivery_only_for_active_subscribers_of_the_event(
    subscribe, django_capture_on_commit_callbacks
):
    ready = subscribe("https://crm.example/hooks", EventName.DRAFT_READY, EventName.DRAFT_SENT)
    subscribe("https://other.example/hooks", EventName.DRAFT_SENT)
    stopped = subscribe("https://old.example/hooks", EventName.DRAFT_READY)
    subscription_update(subscription=stopped, active=False)

    with django_capture_on_commit_callbacks() as queued:
        deliveries = event_emit(EventName.DRAFT_READY, {"draft_id": "d-1"})

    assert [d.subscription_id for d in deliveries] == [ready.id]
    row = WebhookDelivery.objects.get()
    assert (row.event, row.status, row.attempts) == (EventName.DRAFT_READY, Status.PENDING, 0)
    assert row.payload["event"] == "draft.ready"
    assert row.payload["data"] == {"draft_id": "d-1"}
    assert row.payload["id"] == row.idempotency_key
    assert len(queued) == 1  # the post waits for the commit


def test_a_thread_outcome_goes_to_its_subscribers(canon, subscribe):
    subscribe("https://crm.example/hooks", EventName.THREAD_OUTCOME)
    thread = ingest(make_inbound("Hi there, nice to meet you")).draft.thread

    (delivery,) = thread_outcome_emit(thread=thread, outcome="booked", drafts_sent=1)

    assert delivery.event == "thread.outcome"
    data = delivery.payload["data"]
    assert (data["thread"], data["outcome"], data["drafts_sent"]) == (thread.handle, "booked", 1)


def test_a_subscription_takes_only_known_events_and_http_urls(subscribe):
    with pytest.raises(ValidationError) as unknown:
        subscribe("https://crm.example/hooks", "draft.exploded")
    assert "events" in unknown.value.message_dict
    with pytest.raises(ValidationError) as scheme:
        subscribe("ftp://crm.example/hooks", EventName.DRAFT_SENT)
    assert "url" in scheme.value.message_dict


def test_a_draft_held_for_review_reaches_a_real_subscriber_signed(canon, subscriber, subscribe):
    subscribe(subscriber.url, EventName.DRAFT_READY)
    subscribe(subscriber.url, EventName.DRAFT_HELD)  # not this event: nothing for it

    draft = ingest(make_inbound("Hi there, nice to meet you")).draft
    assert (draft.status, draft.hold_reason) == (Draft.Status.HELD, HoldReason.REVIEW_MODE)
    assert deliveries_sweep() == 1  # tasks run inline here

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.DELIVERED, 1)
    assert delivery.last_status_code == 202  # the verifier took the signature
    (received,) = subscriber.received
    assert received["idempotency_key"] == delivery.idempotency_key
    assert signature_valid(
        raw_body=received["raw"],
        idempotency_key=delivery.idempotency_key,
        header=received["signature"],
        secret=BRIDGE_SECRET.encode(),
    )
    assert received["event"] == "draft.ready"
    assert received["data"]["draft_id"] == str(draft.id)
    assert received["data"]["body"] == draft.body


def test_a_delivered_event_is_never_posted_again(subscriber, subscribe):
    subscribe(subscriber.url, EventName.DRAFT_SENT)
    (delivery,) = event_emit(EventName.DRAFT_SENT, {"draft_id": "d-2"})

    assert delivery_attempt(delivery_id=delivery.id).status == Status.DELIVERED
    assert delivery_attempt(delivery_id=delivery.id) is None  # a duplicate task
    assert deliveries_sweep() == 0
    assert len(subscriber.keys) == 1


def test_a_down_subscriber_is_tried_again_later_then_given_up(settings, clock, down_url, subscribe):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 30
    settings.WEBHOOK_BACKOFF_CAP_SECONDS = 45
    subscribe(down_url, EventName.DRAFT_HELD)
    (delivery,) = event_emit(EventName.DRAFT_HELD, {"draft_id": "d-3"})

    first = delivery_attempt(delivery_id=delivery.id)
    assert (first.status, first.attempts) == (Status.FAILED, 1)
    assert first.next_try_at == now() + (30 * SECOND)
    assert first.last_error == "ConnectError reaching the subscriber."
    assert first.last_status_code is None
    assert delivery_attempt(delivery_id=delivery.id) is None  # not due yet
    assert deliveries_sweep() == 0

    clock.shift(30)
    assert deliveries_sweep() == 1  # tasks run inline: the second try
    second = WebhookDelivery.objects.get()
    assert (second.status, second.attempts) == (Status.FAILED, 2)
    assert second.next_try_at == now() + (45 * SECOND)  # 60 s, capped

    clock.shift(45)
    third = delivery_attempt(delivery_id=delivery.id)
    assert (third.status, third.attempts, third.next_try_at) == (Status.GAVE_UP, 3, None)
    clock.shift(3600)
    assert deliveries_sweep() == 0


def test_nothing_is_posted_without_a_strong_signing_secret(settings, subscriber, subscribe):
    subscribe(subscriber.url, EventName.DRAFT_SENT)
    settings.BRIDGE_SIGNING_SECRET = "short"
    (delivery,) = event_emit(EventName.DRAFT_SENT, {"draft_id": "d-6"})

    failed = delivery_attempt(delivery_id=delivery.id)

    assert failed.status == Status.FAILED
    assert failed.last_error == "Not sent: BRIDGE_SIGNING_SECRET has 5 bytes; it needs at least 32."
    assert subscriber.keys == []


def test_send_again_delivers_a_given_up_event_under_its_key(
    settings, down_url, subscriber, subscribe, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    subscription = subscribe(down_url, EventName.DRAFT_SENT)
    (delivery,) = event_emit(EventName.DRAFT_SENT, {"draft_id": "d-4"})
    assert delivery_attempt(delivery_id=delivery.id).status == Status.GAVE_UP
    subscription_update(subscription=subscription, url=subscriber.url)  # it is back up

    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_send_again(delivery=delivery)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.DELIVERED, 1)
    assert subscriber.keys == [delivery.idempotency_key]
    assert not delivery_send_again(delivery=delivery)  # delivered: nothing to send again


QUEUES = ("celery", "live", "events")


@pytest.fixture
def broker(settings):
    """Tasks go to the real Redis broker instead of running inline, as in production."""
    queues = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queues.delete(*QUEUES)
    celery_app.conf.task_always_eager = False
    yield queues
    celery_app.conf.task_always_eager = True
    queues.delete(*QUEUES)
    queues.close()


@pytest.mark.django_db(transaction=True)
def test_a_hanging_subscriber_never_slows_ingest_or_drafting(
    canon, subscriber, subscribe, broker, client_account, api_for
):
    subscriber.stall = True  # it takes the post and never answers
    subscribe(subscriber.url, EventName.DRAFT_READY, EventName.DRAFT_HELD)
    message = {
        "external_id": "hang-1",
        "thread": "hang-thread",
        "sender": "Sam",
        "body": "Hi there, nice to meet you",
        "received_at": "2026-11-20T12:00:00Z",
    }

    started = time.monotonic()
    answer = api_for(client_account).post("/api/inbound/", message, format="json")
    assert answer.status_code == 201
    draft = live_draft_run(Draft.objects.get())  # the worker's drafting step
    elapsed = time.monotonic() - started

    assert draft.status == Draft.Status.HELD
    assert elapsed < 2  # a post would wait WEBHOOK_TIMEOUT_SECONDS (5 s) for an answer
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.PENDING, 0)
    # On a queue of its own (settings.CELERY_TASK_ROUTES), none of the drafting ones.
    queued = {
        queue: [json.loads(raw)["headers"]["task"] for raw in broker.lrange(queue, 0, -1)]
        for queue in QUEUES
    }
    assert queued["events"] == ["prospects.tasks.deliver_webhook"]
    assert "prospects.tasks.deliver_webhook" not in queued["celery"] + queued["live"]
    assert subscriber.keys == []
