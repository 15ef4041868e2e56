import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from prospects.demo import DEMO_CLASSIFIER, demo_load
from prospects.selectors import pipeline_settings
from tests.browser.conftest import log_in, open_from_menu
from tests.support.drafting import ingest
from tests.support.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GEMMA = "endpoint-gemma3-270m_2026-11-23.1"


def test_admin_flips_the_engine_and_sees_a_held_draft_with_its_reason(page, screenshot):
    demo_load(password=PASSWORD)
    log_in(page, "admin", PASSWORD)
    expect(page.locator(".tile.engine code")).to_have_text("template")
    screenshot("dashboard")

    open_from_menu(page, "Settings")
    page.select_option("select[name=draft_engine]", GEMMA)
    page.click("text=Switch active draft engine…")
    confirm = page.locator("#engine-form.confirm")
    expect(confirm).to_contain_text(f"from template to {GEMMA}")
    # Nothing serves the demo's build here: the confirmation says so, and asks twice.
    expect(confirm.locator(".outlook")).to_contain_text(
        "No model server address is set for this build, so it cannot draft."
    )
    confirm.get_by_role("button", name="Switch anyway").click()
    expect(page.locator("#id_anyway_error")).to_contain_text("tick to switch anyway")
    assert pipeline_settings().draft_engine == "template"
    page.check("#id_anyway")
    screenshot("settings-confirm")
    page.get_by_role("button", name="Switch anyway").click()
    expect(page.locator("#engine-form code.current-engine")).to_have_text(GEMMA)
    expect(page.locator("table")).to_contain_text("admin")
    assert pipeline_settings().draft_engine == GEMMA

    classifier = page.locator("#classifier-form")
    expect(classifier.locator("code.current-engine")).to_have_text("rules")
    classifier.locator("select[name=classifier_engine]").select_option(DEMO_CLASSIFIER[0])
    page.click("text=Switch move classifier…")
    expect(page.locator("#classifier-form.confirm")).to_contain_text(
        f"from rules to {DEMO_CLASSIFIER[0]}"
    )
    page.click("#classifier-form >> text=Confirm switch")
    expect(classifier.locator("code.current-engine")).to_have_text(DEMO_CLASSIFIER[0])
    expect(page.locator("table tbody tr").first).to_contain_text(DEMO_CLASSIFIER[0])
    screenshot("settings")
    assert pipeline_settings().classifier_engine == DEMO_CLASSIFIER[0]

    open_from_menu(page, "Threads")
    page.fill("input[name=q]", "marco")
    expect(page.locator("#thread-list tbody tr")).to_have_count(1)
    screenshot("threads")
    page.click("#thread-list >> text=marco.r")
    draft = page.locator("article.draft").first
    expect(draft.locator(".pill")).to_have_text("Held for review")
    expect(draft.locator(".reason")).to_have_text("Review mode: waiting for a coworker")
    expect(page.locator(".gate2")).to_contain_text("This kind of message needs a person: no")
    screenshot("thread")

    draft.locator("text=Reject").click()
    expect(page.locator("article.draft").first.locator(".pill")).to_have_text("Rejected")


def test_a_gpu_draft_shows_its_chain_and_the_endpoint_its_breaker(page, screenshot, settings):
    from bench.fixed_latency_server import FixedLatencyServer
    from engines.registry import clients_close
    from engines.services import engine_build_register
    from prospects.engine_switch import draft_engine_set
    from prospects.inbound.ingest import Inbound

    server = FixedLatencyServer(0.0, answers={"voice": "Lovely! Which evening suits you?"})
    server.start()
    try:
        demo_load(password=PASSWORD, experiment=False)
        engine_build_register(engine_id=GEMMA, endpoint_url=server.url, served_model="voice")
        draft_engine_set(engine_id=GEMMA, user=User.objects.get(username="admin"))
        clients_close()
        ingest(
            Inbound(
                external_id="gpu-1",
                thread="nina.v",
                sender="Nina",
                body="Hello there, nice to meet you",
                received_at=timezone.now(),
            )
        )
        log_in(page, "admin", PASSWORD)
        expect(page.locator(".breaker-closed")).to_have_text("closed")
        open_from_menu(page, "Threads")
        page.click("#thread-list >> text=nina.v")
        draft = page.locator("article.draft").first
        expect(draft.locator(".body")).to_have_text("Lovely! Which evening suits you?")
        draft.locator("summary:has-text('Chain of thought')").click()
        expect(draft.locator("details.chain h3")).to_have_count(3)
        screenshot("thread-chain")
    finally:
        clients_close()
        server.stop()


def test_operator_starts_a_job_from_ticked_threads_and_watches_it_finish(
    page, screenshot, settings
):
    # Tasks run inline here (CELERY_TASK_ALWAYS_EAGER): this test is about the pages;
    # tests/integration runs jobs on a real worker.
    demo_load(password=PASSWORD)
    log_in(page, "operator", PASSWORD)
    open_from_menu(page, "Threads")
    page.click("text=Draft the ticked threads")
    expect(page.locator(".errorlist.nonfield")).to_contain_text("Tick threads")
    screenshot("jobs-start-error")
    open_from_menu(page, "Threads")
    page.check("input[aria-label='Select anna.k']")
    page.check("input[aria-label='Select ben.t']")
    screenshot("threads-select")
    page.click("text=Draft the ticked threads")
    expect(page.locator(".flash")).to_contain_text("over 2 threads")
    expect(page.locator(".job-progress .pill")).to_have_text("Done")
    expect(page.locator("table tbody tr")).to_have_count(2)
    screenshot("job-detail")
    page.click("h1 >> text=Jobs")
    expect(page.locator(".job-progress")).to_contain_text("2 / 2")
    screenshot("jobs")


def test_a_running_jobs_rows_turn_with_its_header_without_a_reload(page, screenshot):
    from config.celery import app as celery_app
    from prospects.drafting.runner import job_chunk_run
    from prospects.jobs.services import job_create
    from prospects.models import Thread

    demo_load(password=PASSWORD, experiment=False)
    operator = User.objects.get(username="operator")
    threads = Thread.objects.filter(handle__in=["anna.k", "ben.t"])
    # Nobody consumes the broker here: the items wait until the test runs them.
    celery_app.conf.task_always_eager = False
    try:
        job = job_create(user=operator, thread_ids=[thread.id for thread in threads])
    finally:
        celery_app.conf.task_always_eager = True
    log_in(page, "operator", PASSWORD)
    page.goto(f"/jobs/{job.id}/")
    rows = page.locator("table.job-items tbody tr")
    expect(rows.locator(".pill")).to_have_text(["Queued", "Queued"])
    expect(page.get_by_role("button", name="Cancel job")).to_be_visible()
    expect(page.locator(".job-facts")).to_contain_text("2 ticked on the threads page")
    screenshot("job-running")

    job_chunk_run(item_ids=list(job.items.values_list("id", flat=True)))

    expect(page.locator(".job-progress .pill")).to_have_text("Done")
    expect(rows.locator(".pill")).to_have_text(["Drafted", "Drafted"])
    expect(rows.first).to_contain_text("Held for review")
    expect(page.get_by_role("button", name="Cancel job")).to_have_count(0)
    screenshot("job-finished")


def top_level_rows(page) -> int:
    """How many rows the bar's own items take (a folded group's pages are not its items)."""
    tops = page.locator(
        ".topbar > .brand, #panel-nav > a, #panel-nav > details > summary,"
        " #panel-nav > .nav-cluster > a, .whoami"
    ).evaluate_all("els => els.map(e => Math.round(e.getBoundingClientRect().top))")
    return len(set(tops))


def test_each_role_gets_its_pages_grouped_on_one_row_and_a_menu_on_a_phone(page, screenshot):
    demo_load(password=PASSWORD, experiment=False)
    log_in(page, "admin", PASSWORD)
    nav = page.locator("#panel-nav")
    expect(nav.locator("details.nav-group > summary")).to_have_text(
        ["Review", "Workflows", "Engines & GPU", "Settings"]
    )
    expect(page.locator(".whoami")).to_contain_text("admin · admin")
    expect(page.locator(".whoami")).not_to_contain_text("client")
    assert top_level_rows(page) == 1
    nav.locator("summary", has_text="Workflows").click()
    expect(nav.get_by_role("link", name="Experiments")).to_be_visible()
    screenshot("nav-admin-workflows-open")
    nav.locator("summary", has_text="Review").click()  # one group open at a time
    expect(nav.get_by_role("link", name="Experiments")).to_be_hidden()
    page.keyboard.press("Escape")
    expect(nav.get_by_role("link", name="Review queue")).to_be_hidden()

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    screenshot("phone-dashboard")
    toggle.click()
    expect(nav.get_by_role("link", name="GPU")).to_be_visible()
    expect(page.locator(".whoami button")).to_be_visible()
    screenshot("phone-menu-open")
    nav.get_by_role("link", name="GPU").click()
    expect(page.locator("h1")).to_have_text("On-demand GPU")
    screenshot("phone-gpu")

    page.set_viewport_size({"width": 1280, "height": 800})
    page.click("text=Log out")
    log_in(page, "coworker", PASSWORD)
    expect(nav.locator("a")).to_have_text(
        [
            "Dashboard",
            *("Review queue", "Scheduled sends", "Threads", "Decisions", "Corrections"),
            "Engines",
        ]
    )
    expect(nav.locator("details")).to_have_count(0)
    expect(page.locator(".whoami")).to_contain_text("coworker · coworker")
    assert top_level_rows(page) == 1
    screenshot("nav-coworker")

    page.click("text=Log out")
    log_in(page, "operator", PASSWORD)
    # Nine pages: past the bar's eight, Review and Workflows fold under their titles.
    expect(nav.locator("details")).to_have_count(2)
    expect(nav.locator("a")).to_have_text(
        [
            "Dashboard",
            *("Threads", "Corrections"),
            *("Workflows", "Experiments", "Canon & rules", "Jobs", "Playground"),
            "Engines",
            "API",
        ]
    )
    assert top_level_rows(page) == 1
    screenshot("nav-operator")
