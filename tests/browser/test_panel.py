import pytest
from playwright.sync_api import expect

from prospects.demo import demo_load
from prospects.selectors import pipeline_settings
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GEMMA = "endpoint-gemma3-270m_2026-11-23.1"


def test_admin_flips_the_engine_and_sees_a_held_draft_with_its_reason(page, screenshot):
    demo_load(password=PASSWORD)
    log_in(page, "admin", PASSWORD)
    expect(page.locator(".tile.engine code")).to_have_text("template")
    screenshot("dashboard")

    page.click("text=Settings")
    page.select_option("select[name=draft_engine]", GEMMA)
    page.click("text=Switch engine…")
    expect(page.locator(".confirm")).to_contain_text(f"from template to {GEMMA}")
    screenshot("settings-confirm")
    page.click("text=Confirm switch")
    expect(page.locator("code.current-engine")).to_have_text(GEMMA)
    expect(page.locator("table")).to_contain_text("admin")
    screenshot("settings")
    assert pipeline_settings().draft_engine == GEMMA

    page.click("nav >> text=Threads")
    page.fill("input[name=q]", "marco")
    expect(page.locator("#thread-list tbody tr")).to_have_count(1)
    screenshot("threads")
    page.click("#thread-list >> text=marco.r")
    draft = page.locator("article.draft").first
    expect(draft.locator(".pill")).to_have_text("Held for review")
    expect(draft.locator(".reason code")).to_have_text("review_mode")
    expect(page.locator(".gate2")).to_contain_text("human_only_move")
    screenshot("thread")

    draft.locator("text=Reject").click()
    expect(page.locator("article.draft").first.locator(".pill")).to_have_text("Rejected")
