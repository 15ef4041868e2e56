import pytest
from django.test import override_settings
from playwright.sync_api import expect

from prospects.events.models import EventName, WebhookDelivery
from prospects.events.services import delivery_attempt, event_emit, subscription_create
from prospects.vocabulary import raw_codes
from tests.browser.conftest import log_in, open_from_menu
from tests.support.demo import spare_ports
from tests.support.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_points_a_given_up_webhook_at_a_live_subscriber_and_sends_it_again(
    page, screenshot, admin_user, subscriber
):
    (down,) = spare_ports(1)
    subscription = subscription_create(
        url=f"http://127.0.0.1:{down}/events",
        events=[EventName.DRAFT_READY, EventName.DRAFT_SENT],
        description="The CRM",
        user=admin_user,
    )
    with override_settings(WEBHOOK_MAX_ATTEMPTS=1):
        (delivery,) = event_emit(EventName.DRAFT_SENT, {"draft_id": "d-browser"})
        delivery_attempt(delivery_id=delivery.id)
    log_in(page, admin_user.username, PASSWORD)

    open_from_menu(page, "Webhooks")
    expect(page.locator("main")).to_contain_text("A draft was sent")
    assert raw_codes(page.locator("main").inner_text()) == []
    screenshot("webhooks")
    page.click("text=Edit")
    page.fill("input[name=url]", subscriber.url)
    page.click("button:text-is('Save')")
    expect(page.locator("body")).to_contain_text(f"Saved {subscriber.url}")

    page.click("text=See the delivery log")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Gave up")
    expect(row).to_contain_text("ConnectError reaching the subscriber.")
    assert raw_codes(page.locator("main").inner_text()) == []
    screenshot("webhook-deliveries-gave-up")
    row.get_by_role("button", name="Send again").click()

    expect(page.locator("body")).to_contain_text("Queued to be sent again.")
    expect(page.locator("tbody tr").first).to_contain_text("Delivered")
    screenshot("webhook-deliveries-sent-again")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.subscription_id) == (
        WebhookDelivery.Status.DELIVERED,
        subscription.id,
    )
    assert subscriber.keys == [delivery.idempotency_key]
