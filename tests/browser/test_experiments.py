import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from builder.models import Experiment, Workflow
from builder.services import workflow_save_draft
from prospects.demo import demo_load, demo_reviewed_traffic
from prospects.engine_switch import draft_engine_set
from prospects.selectors import pipeline_settings
from prospects.vocabulary import raw_codes
from tests.browser.conftest import SCREENSHOTS, log_in, open_from_menu
from tests.support.factories import GEMMA, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def viewer(page):
    """Saves the page at a phone's size, in pieces a screen high (the screenshot fixture
    saves it at the desk's)."""

    def view(name: str) -> None:
        desk = page.viewport_size
        page.set_viewport_size(PHONE)
        height = page.evaluate("document.documentElement.scrollHeight")
        for number, top in enumerate(range(0, height, PHONE["height"]), start=1):
            clip = {"x": 0, "y": top, "width": PHONE["width"], "height": PHONE["height"]}
            page.screenshot(
                path=str(SCREENSHOTS / f"{name}-phone-{number}.png"), full_page=True, clip=clip
            )
        page.set_viewport_size(desk)

    return view


def test_an_admin_creates_runs_and_promotes_an_experiment(page, screenshot):
    view = viewer(page)
    demo_load(password=PASSWORD, experiment=False)
    workflow = Workflow.objects.get(slug="opener-welcome")
    definition = dict(workflow.live_version.definition, name="Shorter welcome")
    challenger = workflow_save_draft(workflow=workflow, definition=definition, new_version=True)
    # The active engine is a model build, so promoting a template-engine arm flips it.
    draft_engine_set(engine_id=GEMMA, user=User.objects.get(username="admin"))

    log_in(page, "admin", PASSWORD)
    page.click("nav summary:text-is('Workflows')")  # the admin's menu folds its groups
    open_from_menu(page, "Experiments")
    page.click("text=New experiment")
    page.fill("input[name=name]", "Shorter welcome replies")
    page.fill("input[name=slug]", "shorter-welcome")
    page.fill("input[name=min_sample]", "30")
    # Template keys are boxes grouped by move, each in words: no Ctrl-click list.
    page.get_by_role("group", name="Opener").get_by_label("Opener: welcome").check()
    expect(page.get_by_text("Drafts and decisions record it with their arm")).to_be_visible()
    page.select_option(
        "select[name=arm-0-workflow_version]",
        label="opener-welcome@1 (live) — Welcome a new contact",
    )
    page.select_option("select[name=arm-0-engine_id]", "template")
    page.select_option("select[name=arm-1-workflow_version]", str(challenger.id))
    page.select_option("select[name=arm-1-engine_id]", "template")
    page.fill("input[name=arm-1-weight]", "0")
    page.click("text=Create experiment")
    expect(page.locator("#id_arm-1-weight_error")).to_contain_text("positive whole number")
    expect(page.get_by_label("Opener: welcome")).to_be_checked()
    assert raw_codes(page.locator("main").inner_text()) == []
    screenshot("experiment-new")
    view("experiment-new")
    assert not Experiment.objects.exists()

    page.fill("input[name=arm-1-weight]", "1")
    page.click("text=Create experiment")
    expect(page.locator("h1")).to_contain_text("Draft")
    expect(page.locator("main")).to_contain_text("Opener: welcome · any archetype · any state")
    page.click("button:has-text('Start')")
    expect(page.locator("h1")).to_contain_text("Running")

    demo_reviewed_traffic(threads=100)
    page.reload()
    results = page.locator("table.results")
    expect(results).to_contain_text("B better")
    expect(page.locator("#metric-chart polyline")).to_have_count(2)
    expect(page.locator("#interval-chart circle")).to_have_count(2)
    screenshot("experiment-results")

    page.click("button:has-text('Promote winner B')")
    expect(page.locator(".confirm")).to_contain_text("switches the engine")
    screenshot("experiment-promote")
    page.check("input[name=confirm_engine]")
    page.click("button:has-text('Promote B')")
    expect(page.locator("#messages")).to_contain_text("Arm B is the champion")
    expect(page.locator("h1")).to_contain_text("Finished")

    experiment = Experiment.objects.get()
    workflow.refresh_from_db()
    assert workflow.live_version == challenger
    assert experiment.champion.key == "B"
    assert pipeline_settings().draft_engine == "template"

    page.click("button:has-text('Roll back')")
    expect(page.locator("#id_confirm_engine_error")).to_contain_text("confirm the engine flip")
    screenshot("experiment-rollback-error")
    page.check("input[name=confirm_engine]")
    page.click("button:has-text('Roll back')")
    expect(page.locator("#messages")).to_contain_text("previous champion is live again")
    workflow.refresh_from_db()
    assert workflow.live_version.name == "Welcome a new contact"
    assert pipeline_settings().draft_engine == GEMMA

    page.click("nav summary:text-is('Workflows')")  # the admin's menu folds its groups
    open_from_menu(page, "Experiments")
    expect(page.locator("table")).to_contain_text("shorter-welcome")
    screenshot("experiments")
