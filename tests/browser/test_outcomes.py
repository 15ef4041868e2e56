"""A coworker records a thread's outcome from the thread page (issue 33)."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from prospects.demo import demo_load
from prospects.models import Thread, ThreadOutcome
from prospects.vocabulary import raw_codes
from tests.browser.conftest import log_in, open_from_menu
from tests.support.factories import PASSWORD
from tests.support.outcomes import sent_reply

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coworker_records_a_booking_from_the_thread_page(page, screenshot, bridge):
    demo_load(password=PASSWORD, experiment=False)
    coworker = User.objects.get(username="coworker")
    sent = sent_reply(coworker, "Hi Cora, nice to meet you!", thread="maya.outcome", sender="Maya")
    thread = sent.thread
    log_in(page, "coworker", PASSWORD)

    open_from_menu(page, "Threads")
    page.get_by_label("Search threads").fill(thread.handle)
    page.locator("main a", has_text=thread.handle).first.click()
    outcome = page.locator(".thread-outcome")
    expect(outcome).to_contain_text("No outcome yet.")
    buttons = outcome.get_by_role("group", name="Record the outcome").get_by_role("button")
    expect(buttons).to_have_text(["Booked", "Declined", "No reply", "Blocked"])

    outcome.get_by_label("Note (optional)").fill("Coffee on Friday at 3pm.")
    outcome.get_by_role("button", name="Booked").click()

    expect(page.locator("#messages")).to_contain_text(
        "Outcome recorded: Booked. The thread is now Booked."
    )
    outcome = page.locator(".thread-outcome")
    expect(outcome).to_contain_text("Booked · recorded by coworker from the thread page")
    expect(outcome).to_contain_text("Coffee on Friday at 3pm.")
    expect(page.locator("h1 .pill")).to_have_text("Booked")
    assert raw_codes(page.inner_text("main")) == []
    screenshot("thread-outcome-booked")

    recorded = ThreadOutcome.objects.get(thread=thread)
    assert (recorded.outcome, recorded.source) == ("booked", "panel")
    assert sent in recorded.drafts.all()
    assert Thread.objects.get(id=thread.id).state == "booked"
