import pytest
from playwright.sync_api import expect

from prospects.engine_switch import draft_engine_set
from prospects.inbound.ingest import inbound_ingest
from prospects.models import Draft
from tests.browser.conftest import log_in
from tests.support.factories import GEMMA, PASSWORD, make_inbound

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_sees_why_a_draft_waits_and_moves_it_with_the_engine_flip(
    page, screenshot, published_workflow, admin_user
):
    published_workflow(appliesTo={})
    draft_engine_set(engine_id=GEMMA, user=admin_user)  # nothing serves it
    draft = inbound_ingest(inbound=make_inbound("Hi there")).draft
    log_in(page, admin_user.username, PASSWORD)

    page.goto(f"/threads/{draft.thread_id}/")
    waiting = page.locator(f"#draft-{draft.id} .waiting")
    expect(waiting).to_contain_text("Waiting: No endpoint serves the engine.")
    expect(waiting).to_contain_text(f"No endpoint serves '{GEMMA}'")
    expect(waiting).to_contain_text("Place in line: 1.")
    screenshot("thread-draft-waiting")

    page.goto("/settings/")
    page.select_option("select[name=draft_engine]", "template")
    page.click("text=Switch active draft engine…")
    expect(page.locator("#engine-form .moving")).to_contain_text(
        "1 queued draft will move to template"
    )
    screenshot("settings-switch-moving")
    page.click("text=Confirm switch")
    expect(page.locator("body")).to_contain_text("Active draft engine is now template")

    page.goto(f"/threads/{draft.thread_id}/")
    expect(page.locator(f"#draft-{draft.id} .waiting")).to_have_count(0)
    draft.refresh_from_db()
    assert (draft.engine_id, draft.status) == ("template", Draft.Status.HELD)
