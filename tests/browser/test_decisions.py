import pytest
from django.utils import timezone
from playwright.sync_api import expect

from prospects.demo import demo_load
from prospects.inbound.ingest import Inbound
from prospects.models import Decision, MoveLabel
from tests.browser.conftest import log_in
from tests.support.drafting import ingest
from tests.support.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = (
    "Hello! I found your page through a friend and wanted to ask a few things before "
    "booking, because I have never done this before and I would like to get it right: "
) * 3


def test_an_empty_list_says_where_decisions_come_from(page, screenshot):
    demo_load(password=PASSWORD, experiment=False)
    log_in(page, "coworker", PASSWORD)
    page.goto("/decisions/?move=vendor&labelled=true")
    expect(page.locator("table")).to_contain_text("No decisions match")
    screenshot("decisions-empty")


def test_a_coworker_labels_from_the_keyboard_then_several_at_once(page, screenshot):
    demo_load(password=PASSWORD, experiment=False)
    for number, body in enumerate([LONG, "Boost your ranking with our SEO, click here"]):
        ingest(
            Inbound(
                external_id=f"decisions-{number}",
                thread=f"decisions-{number}",
                sender="Robin",
                body=body,
                received_at=timezone.now(),
            )
        )
    unsure = Decision.objects.get(message__external_id="decisions-0")
    Decision.objects.filter(id=unsure.id).update(confidence=0.31)
    log_in(page, "coworker", PASSWORD)

    page.get_by_role("link", name="Decisions", exact=True).click()
    first = page.locator("tr[data-decision]").first
    expect(first).to_have_attribute("data-decision", str(unsure.id))
    expect(first).to_contain_text("31%")

    page.locator("h1").click()
    page.keyboard.press("j")
    page.keyboard.press("l")
    first.locator("select").select_option("pursue")
    first.locator("select").press("Enter")
    expect(page.locator(f"#decision-{unsure.id}")).to_contain_text("Saved")
    assert MoveLabel.objects.get(decision=unsure).move == "pursue"

    page.locator("#bulk-form button[type=submit]").click()
    expect(page.locator("#bulk-error")).to_have_text("Tick at least one decision.")
    screenshot("decisions-bulk-error")

    rows = page.locator("tr[data-decision]")
    rows.nth(1).locator("input[name=decisions]").check()
    rows.nth(2).locator("input[name=decisions]").check()
    expect(page.locator("#ticked-count")).to_have_text("2 ticked")
    page.get_by_label("Label the ticked decisions as").select_option("spam")
    screenshot("decisions")
    page.locator("#bulk-form button[type=submit]").click()
    expect(page.locator("#messages")).to_contain_text("Labelled 2 decision(s) as Spam.")
    assert MoveLabel.objects.filter(move="spam", source="labelled").count() == 2
