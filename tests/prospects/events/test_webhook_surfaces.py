"""Webhooks in the panel and the API: admins manage subscriptions, bad input is named by
field, and "send again" / redeliver restart only a failed or given-up delivery."""

import pytest

from prospects.events.models import EventName, WebhookDelivery, WebhookSubscription
from prospects.events.services import delivery_attempt, event_emit
from tests.support.panel import field_error, logged_in

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


def test_the_panel_names_a_bad_url_and_missing_events_by_their_fields(admin_user):
    answer = logged_in(admin_user).post("/webhooks/new/", {"url": "ftp://x", "events": []})

    assert answer.status_code == 400
    page = answer.content.decode()
    assert field_error(page, "url") == "Enter a valid URL."
    assert field_error(page, "events") == "This field is required."
    assert not WebhookSubscription.objects.exists()


def test_the_panel_adds_edits_and_stops_a_subscription(admin_user):
    client = logged_in(admin_user)
    client.post("/webhooks/new/", {"url": "https://crm.example/a", "events": ["draft.sent"]})
    subscription = WebhookSubscription.objects.get()
    assert (subscription.events, subscription.created_by) == (["draft.sent"], admin_user)

    answer = client.post(
        f"/webhooks/{subscription.id}/",
        {"url": "https://crm.example/b", "events": ["draft.held", "thread.outcome"]},
    )
    assert answer.status_code == 302
    client.post(f"/webhooks/{subscription.id}/deactivate/")

    subscription.refresh_from_db()
    assert subscription.url == "https://crm.example/b"
    assert subscription.events == ["draft.held", "thread.outcome"]
    assert not subscription.active
    page = client.get("/webhooks/").content.decode()
    assert "A thread&#x27;s outcome was recorded" in page
    assert "Stopped" in page


def test_the_api_answers_bad_input_by_field(admin_user, api_for):
    api = api_for(admin_user)

    answer = api.post("/api/webhooks/", {"url": "not a url", "events": ["draft.exploded"]})

    assert answer.status_code == 400
    assert set(answer.json()) == {"url", "events"}
    assert "draft.exploded" in answer.json()["events"]["0"][0]


def test_the_api_creates_changes_and_stops_a_subscription(admin_user, api_for):
    api = api_for(admin_user)

    made = api.post(
        "/api/webhooks/",
        {"url": "https://crm.example/a", "events": ["draft.ready"]},
        format="json",
    )
    assert made.status_code == 201
    url = f"/api/webhooks/{made.json()['id']}/"
    changed = api.patch(url, {"events": ["draft.sent", "draft.sent"]}, format="json")
    assert changed.json()["events"] == ["draft.sent"]
    assert api.patch(url, {"events": []}, format="json").status_code == 400
    assert api.delete(url).status_code == 204
    assert api.get(url).json()["active"] is False


def test_the_api_lists_deliveries_and_redelivers_a_given_up_one(
    settings, admin_user, api_for, down_url, subscribe, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    subscription = subscribe(down_url, EventName.DRAFT_SENT)
    (delivery,) = event_emit(EventName.DRAFT_SENT, {"draft_id": "d-5"})
    delivery_attempt(delivery_id=delivery.id)
    api = api_for(admin_user)

    listed = api.get(f"/api/webhooks/deliveries/?status=gave_up&subscription={subscription.id}")
    assert [row["id"] for row in listed.json()["results"]] == [str(delivery.id)]
    assert api.get("/api/webhooks/deliveries/?status=lost").status_code == 400

    with django_capture_on_commit_callbacks() as queued:
        again = api.post(f"/api/webhooks/deliveries/{delivery.id}/redeliver/")
    assert again.status_code == 200
    assert (again.json()["status"], again.json()["attempts"]) == ("pending", 0)
    assert len(queued) == 1
    refused = api.post(f"/api/webhooks/deliveries/{delivery.id}/redeliver/")
    assert refused.status_code == 409
    assert "status" in refused.json()
