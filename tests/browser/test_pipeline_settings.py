"""An admin changes the pipeline settings: a field error first, then the confirmation that
says what changes, then the history with who and why."""

import pytest
from playwright.sync_api import expect

from prospects.selectors import pipeline_settings
from prospects.vocabulary import raw_codes
from tests.browser.conftest import log_in, open_from_menu
from tests.support.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_caps_the_sends_and_lets_three_keys_send_without_review(page, screenshot, admin_user):
    log_in(page, admin_user.username, PASSWORD)
    open_from_menu(page, "Pipeline")
    expect(page.locator("h1")).to_have_text("Pipeline settings")
    assert raw_codes(page.locator("main").inner_text()) == []

    for key in ("Opener: welcome", "Opener: followup", "Pursue: next step"):
        page.get_by_label(key, exact=True).check()
    page.fill("#id_daily_send_cap", "0")
    page.fill("#id_reason", "Launch week: start slowly.")
    page.get_by_role("button", name="Review changes").click()
    expect(page.locator("#id_daily_send_cap_error")).to_contain_text("From 1 to 1,000,000")
    screenshot("pipeline-error")

    page.fill("#id_daily_send_cap", "200")
    page.get_by_role("button", name="Review changes").click()
    summary = page.locator(".confirm ul.summary")
    expect(summary).to_contain_text(
        "3 template keys will send without review: Opener: followup, Opener: welcome, "
        "Pursue: next step."
    )
    expect(summary).to_contain_text("At most 200 replies a day (UTC) will be sent without a person")
    assert raw_codes(page.locator("main").inner_text()) == []
    screenshot("pipeline-confirm")
    assert pipeline_settings().daily_send_cap is None

    page.get_by_role("button", name="Save these changes").click()
    history = page.locator("table.pipeline-history tbody tr").first
    expect(history).to_contain_text("Launch week: start slowly.")
    expect(history).to_contain_text(admin_user.username)
    expect(history).to_contain_text("3 template keys will send without review")
    assert raw_codes(page.locator("main").inner_text()) == []
    screenshot("pipeline-settings")
    assert pipeline_settings().daily_send_cap == 200
