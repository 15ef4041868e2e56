import pytest
from playwright.sync_api import expect

from prospects.demo import demo_load
from prospects.vocabulary import raw_codes
from tests.browser.conftest import log_in, open_from_menu
from tests.support.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = (
    "Hi! I found your page through a friend and I'd love to book something for Friday "
    "evening, around eight if that works, and I have a few questions about how it all goes "
) * 3


def test_an_operator_runs_a_message_through_the_pipeline_from_the_menu(page, screenshot):
    demo_load(password=PASSWORD, experiment=False)
    log_in(page, "operator", PASSWORD)
    open_from_menu(page, "Playground")
    expect(page.locator("h1")).to_have_text("Playground")
    expect(page.locator("main")).to_contain_text("None yet")
    screenshot("playground-empty")

    page.get_by_role("button", name="Run").click()
    expect(page.locator("#id_text_error")).to_contain_text("This field is required.")
    screenshot("playground-error")

    page.get_by_label("Message").fill(LONG)
    page.get_by_role("button", name="Run").click()
    run = page.locator("#playground-run")
    expect(run).to_contain_text("Done")
    expect(run).to_contain_text("Send checks (Gate-2)")
    expect(run).to_contain_text("The reply")
    assert raw_codes(page.locator("main").inner_text()) == []
    screenshot("playground")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("playground-phone")
