import pytest
from playwright.sync_api import expect

from builder.models import Workflow
from prospects.demo import demo_load
from prospects.engine_switch import draft_engine_set
from prospects.jobs.preview import preview_run_execute
from prospects.tasks import workflow_preview_run
from prospects.vocabulary import raw_codes
from tests.browser.conftest import SCREENSHOTS, log_in, open_from_menu
from tests.support.drafting import gemma_served
from tests.support.factories import GEMMA, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def step_texts(page) -> list[str]:
    return page.locator("li.step textarea").evaluate_all("els => els.map(e => e.value)")


def viewer(page):
    """Saves what the window shows now, at the desk's size and a phone's (the screenshot
    fixture saves the whole page)."""

    def view(name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}-view.png"))
        desk = page.viewport_size
        page.set_viewport_size(PHONE)
        height = page.evaluate("document.documentElement.scrollHeight")
        # In pieces a phone's screen high: one long picture shrinks past reading.
        for number, top in enumerate(range(0, height, PHONE["height"]), start=1):
            clip = {"x": 0, "y": top, "width": PHONE["width"], "height": PHONE["height"]}
            page.screenshot(
                path=str(SCREENSHOTS / f"{name}-phone-{number}.png"), full_page=True, clip=clip
            )
        page.set_viewport_size(desk)

    return view


PHONE = {"width": 390, "height": 844}


def test_operator_builds_publishes_edits_diffs_and_rolls_back(page, screenshot):
    view = viewer(page)
    demo_load(password=PASSWORD, experiment=False)
    log_in(page, "operator", PASSWORD)
    open_from_menu(page, "Workflows")
    expect(page.locator("#workflow-table")).to_contain_text("opener-welcome")
    screenshot("workflow-list")
    page.click("text=New workflow")

    page.fill("input[name=slug]", "vendor-polite")
    page.fill("input[name=name]", "Polite vendor decline")
    page.get_by_role("group", name="Vendor").get_by_label("Vendor: decline").check()
    page.check("input[name=context_snippet][value='canon:vendor.decline']")
    page.check("input[name=context_snippet][value='safety:no-ai-talk']")
    page.locator("a:has-text('preview')").first.click()
    expect(page.locator("#snippet-preview")).to_contain_text("v1")
    expect(page.locator("#engine-rule")).to_contain_text("does not choose its engine")

    for count in (2, 3, 4):
        page.click("button:has-text('+ Think step')")
        expect(page.locator("li.step")).to_have_count(count)
    thinks = page.locator("li.step-think textarea")
    for index, text in enumerate(["First think", "Second think", "Third think"]):
        thinks.nth(index).fill(text)
    page.click("button[aria-label='Move step 3 up']")
    expect(page.locator("li.step textarea").nth(1)).to_have_value("Third think")
    assert step_texts(page)[:3] == ["First think", "Third think", "Second think"]

    # A draft with no text and no character limit: the browser lets both through, the
    # server says what is missing under each, in words, keeps everything typed, and the
    # page opens on the first of them, not at its top.
    page.locator("li.step-draft input[type=number]").fill("")
    page.click("button:text-is('Save draft')")
    expect(page.locator("#id_step-3-text_error")).to_have_text(
        "Step 4 (Draft) needs an instruction."
    )
    expect(page.locator("#id_step-3-max_chars_error")).to_have_text(
        "Step 4 (Draft) needs a character limit."
    )
    expect(page.locator("#id_step-3-text")).to_be_focused()
    expect(page.locator("#id_step-3-text")).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 800
    expect(page.locator("#id_step-3-max_chars")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_step-3-max_chars")).to_have_attribute(
        "aria-describedby", "id_step-3-max_chars_helptext id_step-3-max_chars_error"
    )
    assert step_texts(page)[:3] == ["First think", "Third think", "Second think"]
    expect(page.locator("input[name=name]")).to_have_value("Polite vendor decline")
    assert raw_codes(page.locator("main").inner_text()) == []
    view("workflow-editor-errors")
    screenshot("workflow-editor-errors")
    page.locator("li.step-draft input[type=number]").fill("300")
    page.locator("li.step-draft textarea").fill("Decline kindly in one sentence.")
    screenshot("workflow-editor")
    page.click("text=Save & publish…")
    expect(page.locator("h1")).to_contain_text("Publish vendor-polite@1")
    page.fill("textarea[name=note]", "First version")
    page.click("button:has-text('Publish vendor-polite@1')")
    expect(page.locator("#version-1")).to_contain_text("Live since")

    page.click("a.button:has-text('Edit')")
    expect(page.locator("h1")).to_contain_text("Edit vendor-polite")
    assert step_texts(page)[:3] == ["First think", "Third think", "Second think"]
    page.fill("input[name=name]", "Very polite vendor decline")
    page.click("text=Save & publish…")
    expect(page.locator("table.diff-rows ins")).to_have_text("Very polite")
    view("workflow-publish")
    screenshot("workflow-publish")
    page.fill("textarea[name=note]", "Warmer name")
    page.click("button:has-text('Publish vendor-polite@2')")
    expect(page.locator("#version-2")).to_contain_text("Live since")
    expect(page.locator("#version-1")).to_contain_text("Was live")
    expect(page.locator("#version-1")).to_contain_text("Differs from live v2 in Name.")

    # Compare sits above the versions, the one before the live one against it picked.
    page.click("#compare button:text-is('Compare')")
    expect(page.locator(".diff-section.changed")).to_have_count(1)
    expect(page.locator(".diff-section.changed h2")).to_contain_text("Name")
    expect(page.locator(".diff-section.changed")).to_contain_text("Very polite vendor decline")
    steps = page.locator(".diff-section details").filter(has_text="Steps")
    expect(steps.locator("table")).to_be_hidden()
    steps.locator("summary").click()
    expect(steps.locator("table")).to_contain_text("Decline kindly in one sentence.")
    assert raw_codes(page.locator("main").inner_text()) == []
    view("workflow-diff")
    screenshot("workflow-diff")

    page.go_back()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#version-1 >> text=Roll back to this").click()
    expect(page.locator("#version-3")).to_contain_text("Live since")
    expect(page.locator("#version-1")).to_contain_text("Same content as live v3.")
    assert raw_codes(page.locator("main").inner_text()) == []
    view("workflow-history")
    screenshot("workflow-history")
    live = Workflow.objects.get(slug="vendor-polite").live_version
    assert (live.number, live.name) == (3, "Polite vendor decline")


def test_a_new_snippet_with_a_taken_key_is_refused_next_to_the_key(page, screenshot):
    demo_load(password=PASSWORD, experiment=False)
    log_in(page, "operator", PASSWORD)
    open_from_menu(page, "Canon & rules")
    page.select_option("select[name=kind]", "canon")
    page.fill("input[name=key]", "opener.welcome")
    page.fill("textarea[name=text]", "Hello there, which day suits you?")
    page.click("button:text-is('Create')")
    expect(page.locator("#id_key_error")).to_have_text(
        "A canon with this key exists already; edit it on its own page."
    )
    expect(page.locator("#id_key")).to_have_attribute(
        "aria-describedby", "id_key_helptext id_key_error"
    )
    expect(page.locator("textarea[name=text]")).to_have_value("Hello there, which day suits you?")
    expect(page.locator("select[name=kind]")).to_have_value("canon")
    screenshot("snippet-create-error")

    assert raw_codes(page.locator("main").inner_text()) == []
    page.fill("input[name=key]", "opener.hello")
    page.click("button:text-is('Create')")
    expect(page.locator("h1")).to_contain_text("Opener: hello")
    expect(page.locator("article.message")).to_contain_text("Hello there, which day suits you?")


def test_operator_edits_canon_and_previews_a_workflow_on_a_thread(
    page, screenshot, gpu_path, model_server, monkeypatch
):
    demo_load(password=PASSWORD, experiment=False)
    log_in(page, "operator", PASSWORD)
    open_from_menu(page, "Canon & rules")
    page.click("text=Opener: welcome")
    page.fill("textarea[name=text]", "Hi, lovely to hear from you! Which day suits you?")
    page.click("text=Save new version")
    expect(page.locator(".flash")).to_contain_text("v2")
    expect(page.locator("article.message")).to_have_count(2)
    screenshot("snippet-history")

    open_from_menu(page, "Workflows")
    page.click("#workflow-table >> text=opener-welcome")
    expect(page.locator("#engine-rule")).to_contain_text("active draft engine")
    page.click("#version-1 >> text=Preview")
    page.select_option("select[name=thread]", label="anna.k")
    page.click("text=Run preview")
    expect(page.locator("details.prompt")).to_have_count(3)
    expect(page.locator("details.prompt").last).to_contain_text("<output of step 2>")
    expect(page.locator("#engine-line")).to_contain_text(
        "Production drafts this thread on template: the active draft engine"
    )
    expect(page.locator("#engine-line")).to_contain_text("it runs no chain")
    expect(page.locator("section.card").nth(1)).to_contain_text("Passes the validation gate")

    # The admin points drafting at the local model: the preview follows the same rule.
    gemma_served(model_server.url)
    draft_engine_set(engine_id=GEMMA, user=None)
    # The test is the broker and the worker: it keeps what the page enqueues and runs it
    # once the page has shown the run waiting.
    queued = []
    monkeypatch.setattr(workflow_preview_run, "delay", queued.append)
    page.reload()
    expect(page.locator("#engine-line")).to_contain_text(f"on {GEMMA}: the active draft engine")
    page.click(f"button:has-text('Run the chain on {GEMMA}')")
    expect(page.locator("#preview-run")).to_contain_text("Waiting for the worker")
    screenshot("workflow-preview-queued")
    assert len(queued) == 1
    preview_run_execute(run_id=queued[0])
    expect(page.locator("#preview-run h3").first).to_contain_text("Step 1 · think", timeout=5_000)
    screenshot("workflow-preview")
