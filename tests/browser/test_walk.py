"""Each role's walk from a cold start, by clicking only: the first address is the panel's
own, every page after it is reached from the menu or a button. Every page's text is held
against the vocabulary (no stored code, Python dict or JSON path shown raw), and each is
saved at a desk's size and a phone's, to be looked at."""

import pytest
from playwright.sync_api import expect

from prospects.demo import demo_load
from prospects.navigation import menu_for
from prospects.vocabulary import raw_codes
from tests.browser.conftest import SCREENSHOTS, assert_accessible, open_from_menu
from tests.support.factories import DO_BUILD, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def look(page, name: str) -> None:
    """The page in words, usable by anyone, and saved as a desk and a phone show it."""
    page.wait_for_load_state("load")
    shown = page.locator("body").inner_text()
    assert raw_codes(shown) == [], f"{page.url} shows codes raw: {raw_codes(shown)}"
    assert_accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"walk-{name}.png"))
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SCREENSHOTS / f"walk-{name}-phone.png"))
    page.set_viewport_size(DESK)


def cold_start(page, username: str) -> None:
    page.set_viewport_size(DESK)
    page.goto("/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def every_page_of_the_menu(page, username: str) -> list[str]:
    """Opens each page the role's menu offers, in the menu's order, and looks at it."""
    from django.contrib.auth.models import User

    labels = [
        link.label
        for group in menu_for(User.objects.get(username=username), "/")
        for link in group.links
        # The API's own reference (drf-spectacular's Swagger UI) leaves the panel: its
        # schema shows field names by design, and tests/browser/test_api_docs.py opens it.
        if link.label != "API"
    ]
    for label in labels:
        open_from_menu(page, label)
        look(page, f"{username}-{label.lower().replace(' ', '-').replace('&', 'and')}")
    return labels


def test_a_coworker_reviews_from_a_cold_start_in_words(page):
    demo_load(password=PASSWORD, experiment=False)
    cold_start(page, "coworker")
    look(page, "coworker-dashboard")
    assert every_page_of_the_menu(page, "coworker")[0] == "Review queue"

    open_from_menu(page, "Review queue")
    waiting = page.locator("#review-item").get_attribute("data-draft")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#review-messages")).to_contain_text("Approved")
    expect(page.locator("#review-item")).not_to_have_attribute("data-draft", waiting)
    look(page, "coworker-approved")

    page.get_by_role("button", name="Wrong move").click()
    form = page.locator("#move-form")
    form.get_by_label("Escalate").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("#review-messages")).to_contain_text("Move recorded as Escalate")
    look(page, "coworker-wrong-move")


def test_an_operator_sees_a_workflow_error_as_a_sentence_from_a_cold_start(page):
    demo_load(password=PASSWORD, experiment=False)
    cold_start(page, "operator")
    look(page, "operator-dashboard")
    assert "Workflows" in every_page_of_the_menu(page, "operator")

    open_from_menu(page, "Workflows")
    page.click("text=New workflow")
    page.fill("input[name=slug]", "walk")
    page.fill("input[name=name]", "A walk")
    page.get_by_role("group", name="Vendor").get_by_label("Vendor: decline").check()
    page.click("button:text-is('Save draft')")
    first_error = page.locator(".field-error").first
    expect(first_error).to_be_visible()
    expect(first_error).to_be_in_viewport()
    look(page, "operator-workflow-error")


def test_an_admin_is_told_why_a_build_cannot_draft_before_switching_to_it(page, settings):
    from engines.services import engine_build_register

    settings.DO_TOKEN = ""
    demo_load(password=PASSWORD, experiment=False)
    engine_build_register(engine_id=DO_BUILD, served_model="fixed", model_path="/mnt/weights")
    cold_start(page, "admin")
    look(page, "admin-dashboard")
    assert "GPU" in every_page_of_the_menu(page, "admin")

    open_from_menu(page, "Settings")
    page.select_option("select[name=draft_engine]", DO_BUILD)
    page.click("text=Switch active draft engine…")
    confirm = page.locator(".confirm")
    expect(confirm).to_contain_text("GPU account")
    look(page, "admin-engine-confirm")
    open_from_menu(page, "GPU")
    expect(page.locator("main")).to_contain_text("GPU account")
    look(page, "admin-gpu")
