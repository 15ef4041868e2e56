from datetime import time

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from prospects.demo import demo_load
from prospects.drafting.pace import send_pace_update
from prospects.models import Draft
from prospects.review.services import draft_approve
from prospects.vocabulary import raw_codes
from tests.browser.conftest import log_in, open_from_menu
from tests.support.drafting import ingest
from tests.support.factories import PASSWORD, make_inbound

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coworker_sees_when_a_reply_leaves_and_cancels_it(page, screenshot):
    demo_load(password=PASSWORD, experiment=False)
    admin = User.objects.get(username="admin")
    coworker = User.objects.get(username="coworker")
    send_pace_update(
        changes={"quiet_start": time(0), "quiet_end": time(0)}
        | {"min_delay_seconds": 600, "max_delay_seconds": 900},
        reason="slow for the screenshot",
        user=admin,
    )
    draft = ingest(make_inbound("Hi, are you free tonight?", thread="+33 6 12 34 56 78")).draft
    draft_approve(draft_id=draft.id, user=coworker)

    log_in(page, "coworker", PASSWORD)
    open_from_menu(page, "Scheduled sends")
    row = page.locator(f"#send-{draft.id}")
    expect(row).to_contain_text("Europe/Paris")
    assert raw_codes(page.locator("main").inner_text()) == []
    screenshot("scheduled-sends")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("scheduled-sends-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    row.get_by_role("button", name="Cancel send").click()
    expect(page.locator("#messages")).to_contain_text("Send cancelled")
    expect(page.locator("main")).to_contain_text("No reply is waiting to leave.")
    assert Draft.objects.get(id=draft.id).hold_reason == "send_cancelled"
    screenshot("scheduled-sends-empty")


def test_an_admin_sets_the_send_pace_with_a_reason(page, screenshot):
    demo_load(password=PASSWORD, experiment=False)
    log_in(page, "admin", PASSWORD)
    page.goto("/settings/")
    page.get_by_role("link", name="send pace").click()
    page.get_by_label("Shortest wait (seconds)").fill("600")
    page.get_by_label("Longest wait (seconds)").fill("60")
    page.get_by_label("Reason").fill("slower at night")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_max_delay_seconds_error")).to_contain_text("at least the shortest")
    screenshot("send-pace-error")
    page.get_by_label("Longest wait (seconds)").fill("900")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("Send pace saved.")
    expect(page.locator("table")).to_contain_text("slower at night")
    screenshot("send-pace")
