"""One lead, end to end, through the API only (issue 33): ingest; the `draft.ready` event
at a real subscriber; approval; a send that waits out the quiet hours of the client's time
zone (the product's clock, moved by the test) and then reaches the real bridge; the
`booked` outcome; the build's booking rate. Then the same with the subscriber down: its
events are tried again later, and nothing else waits for it."""

import time
from datetime import UTC, datetime

import pytest

from prospects.drafting.dispatch import drafts_dispatch_stale
from prospects.events.models import WebhookDelivery
from prospects.events.services import deliveries_sweep
from tests.support.demo import spare_ports

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EVENTS = ["draft.ready", "draft.held", "draft.sent", "thread.outcome"]
# 09:00 UTC on the test's clock is 22:00 in Auckland: the quiet hours there have begun.
ZONE = "Pacific/Auckland"
MORNING_THERE = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 08:00 in Auckland


@pytest.fixture
def apis(api_for, admin_user, coworker, client_account, canon):
    return api_for(admin_user), api_for(coworker), api_for(client_account)


def set_the_pace(admin) -> None:
    answer = admin.put(
        "/api/settings/pace/",
        {
            "quiet_start": "22:00",
            "quiet_end": "08:00",
            "typing_chars_per_minute": 200,
            "min_delay_seconds": 20,
            "max_delay_seconds": 300,
            "reason": "a human pace",
        },
        format="json",
    )
    assert answer.status_code == 200, answer.json()


def ingest(client, external_id: str, thread: str) -> dict:
    answer = client.post(
        "/api/inbound/",
        {
            "external_id": external_id,
            "thread": thread,
            "sender": "Robin",
            "body": "Hi! Are you free Friday evening?",
            "received_at": "2026-11-23T09:00:00Z",
            "time_zone": ZONE,
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    return body[0] if isinstance(body, list) else body


def events_at(subscriber) -> list[tuple[str, str]]:
    return [(event["event"], event["data"].get("thread")) for event in subscriber.received]


def test_a_lead_books_through_the_api_at_a_human_pace(apis, subscriber, bridge, clock):
    admin, coworker, crm = apis
    subscribed = admin.post(
        "/api/webhooks/", {"url": subscriber.url, "events": EVENTS}, format="json"
    )
    assert subscribed.status_code == 201, subscribed.json()
    set_the_pace(admin)

    queued = ingest(crm, "journey-1", "journey")
    draft_id, thread_id = queued["draft"]["id"], queued["thread"]
    # The worker drafted it once the ingest committed (tasks run inline here).
    assert crm.get(f"/api/drafts/{draft_id}/").json()["status"] == "held"
    assert ("draft.ready", "journey") in events_at(subscriber)

    approved = coworker.post(f"/api/drafts/{draft_id}/approve/", {}, format="json").json()
    assert approved["status"] == "approved"
    leaves = datetime.fromisoformat(approved["release_at"].replace("Z", "+00:00"))
    assert leaves > MORNING_THERE  # after 08:00 there, a typing delay on

    assert drafts_dispatch_stale() == 0  # the sweeper's beat, before the quiet hours end
    assert bridge.received == []
    clock.move_to(leaves)
    drafts_dispatch_stale()
    assert [sent["draft_id"] for sent in bridge.received] == [draft_id]
    assert crm.get(f"/api/drafts/{draft_id}/").json()["status"] == "sent"
    assert ("draft.sent", "journey") in events_at(subscriber)

    booked = crm.post(f"/api/threads/{thread_id}/outcome/", {"outcome": "booked"}, format="json")
    assert booked.status_code == 201, booked.json()
    assert ("thread.outcome", "journey") in events_at(subscriber)
    assert crm.get("/api/threads/", {"outcome": "booked"}).json()["results"][0]["id"] == thread_id

    scores = {row["key"]: row for row in crm.get("/api/scores/", {"by": "engine"}).json()}
    assert (scores["template"]["threads_sent"], scores["template"]["booking_rate"]) == (1, 1.0)


def test_a_subscriber_that_is_down_is_tried_again_and_slows_nothing(apis, bridge, clock):
    admin, coworker, crm = apis
    (port,) = spare_ports(1)
    down = f"http://127.0.0.1:{port}/events"
    subscribed = admin.post("/api/webhooks/", {"url": down, "events": EVENTS}, format="json")
    assert subscribed.status_code == 201, subscribed.json()

    started = time.monotonic()
    draft = ingest(crm, "journey-down-1", "journey-down")["draft"]
    ingest_seconds = time.monotonic() - started
    approved = coworker.post(f"/api/drafts/{draft['id']}/approve/", {}, format="json")
    assert approved.json()["status"] in {"approved", "sent"}
    drafts_dispatch_stale()

    # The reply went out as if nobody were subscribed; each event waits for its next try.
    assert [sent["draft_id"] for sent in bridge.received] == [draft["id"]]
    assert ingest_seconds < 2.0, f"ingest took {ingest_seconds:.2f} s with a subscriber down"
    failed = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.FAILED)
    assert set(failed.values_list("event", flat=True)) == {"draft.ready", "draft.sent"}
    assert all(delivery.attempts == 1 and delivery.next_try_at for delivery in failed)

    clock.move_to(max(delivery.next_try_at for delivery in failed))
    deliveries_sweep()
    assert all(delivery.attempts == 2 for delivery in WebhookDelivery.objects.filter(id__in=failed))
    log = admin.get("/api/webhooks/deliveries/").json()
    assert {row["status"] for row in log["results"]} == {"failed"}
