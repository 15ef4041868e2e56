import pytest
from django.contrib.auth.models import User
from django.urls import get_resolver, reverse
from playwright.sync_api import expect

from builder.models import Experiment, Snippet, Workflow
from prospects.demo import DEMO_EXPERIMENT, demo_load, demo_users
from prospects.events.services import subscription_create
from prospects.jobs.services import job_create
from prospects.models import Correction, Thread
from tests.browser.conftest import accessibility_violations, log_in
from tests.support.factories import GEMMA, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every panel page, with the demo object it shows (None: a page of no object). The admin
# sees them all.
PAGES = {
    "prospects:dashboard": None,
    "prospects:thread_list": None,
    "prospects:thread_detail": lambda: {"thread_id": Thread.objects.get(handle="marco.r").id},
    "prospects:review": None,
    "prospects:decision_list": None,
    "prospects:correction_list": None,
    "prospects:correction_detail": lambda: {"correction_id": Correction.objects.first().id},
    "prospects:engine_list": None,
    "prospects:engine_detail": lambda: {"engine_id": GEMMA},
    "prospects:experiment_list": None,
    "prospects:experiment_new": None,
    "prospects:experiment_detail": lambda: {
        "experiment_id": Experiment.objects.get(slug=DEMO_EXPERIMENT).id
    },
    "prospects:settings": None,
    "prospects:job_list": None,
    "prospects:job_detail": lambda: {
        "job_id": job_create(
            user=User.objects.get(username="admin"),
            thread_ids=[Thread.objects.get(handle="marco.r").id],
        ).id
    },
    "prospects:workflow_preview": lambda: {
        "workflow_id": Workflow.objects.get(slug="opener-welcome").id,
        "number": 1,
    },
    "prospects:gpu": None,
    "prospects:playground": None,
    "prospects:scheduled_sends": None,
    "prospects:send_pace": None,
    "prospects:pipeline_settings": None,
    "prospects:webhook_list": None,
    "prospects:webhook_delivery_list": None,
    "prospects:webhook_edit": lambda: {
        "subscription_id": subscription_create(
            url="https://crm.example/hooks",
            events=["draft.sent"],
            user=User.objects.get(username="admin"),
        ).id
    },
    "builder:workflow_list": None,
    "builder:workflow_new": None,
    "builder:workflow_edit": lambda: {
        "workflow_id": Workflow.objects.get(slug="opener-welcome").id
    },
    "builder:workflow_history": lambda: {
        "workflow_id": Workflow.objects.get(slug="opener-welcome").id
    },
    "builder:workflow_diff": lambda: {
        "workflow_id": Workflow.objects.get(slug="opener-welcome").id
    },
    "builder:workflow_publish": lambda: {
        "workflow_id": Workflow.objects.get(slug="opener-welcome").id,
        "number": 2,
    },
    "builder:snippet_list": None,
    "builder:snippet_detail": lambda: {"snippet_id": Snippet.objects.first().id},
}
# Pages that show nothing without a query.
QUERIES = {"builder:workflow_diff": "?a=1&b=2"}
# Panel URLs that answer a POST or a download, never a page a person reads.
NOT_PAGES = {
    "prospects:engine_export",
    "prospects:build_evaluate",
    "prospects:build_concurrency",
    "prospects:build_train",
    "prospects:build_promote",
    "prospects:promotion_guards",
    "prospects:experiment_csv",
    "prospects:experiment_promote",
    "prospects:experiment_rollback",
    "prospects:experiment_action",
    "prospects:job_start",
    "prospects:decision_label_bulk",
    "prospects:thread_safety_clear",
    "prospects:thread_outcome",
    "prospects:job_cancel",
    "prospects:job_retry",
    "prospects:workflow_preview_run",
    "prospects:playground_run",
    "prospects:send_cancel",
    "prospects:webhook_create",
    "prospects:webhook_deactivate",
    "prospects:webhook_delivery_send_again",
    "builder:workflow_rollback",
    "builder:workflow_archive",
    "builder:snippet_create",
}


def panel_url_names() -> set[str]:
    names = set()
    for namespace in ("prospects", "builder"):
        _, resolver = get_resolver().namespace_dict[namespace]
        names |= {
            f"{namespace}:{name}"
            for name in resolver.reverse_dict
            if isinstance(name, str) and not name.endswith("_hx")
        }
    return names


def test_the_page_list_names_every_panel_page():
    assert panel_url_names() - NOT_PAGES == set(PAGES)


def test_every_panel_page_has_no_serious_or_critical_violation(page):
    demo_load(password=PASSWORD)
    found = {}
    found["login"] = visit(page, reverse("login"))
    log_in_refused(page)
    found["login, refused"] = accessibility_violations(page)
    log_in(page, "admin", PASSWORD)
    for name, kwargs in PAGES.items():
        url = reverse(name, kwargs=kwargs() if kwargs else None) + QUERIES.get(name, "")
        found[name] = visit(page, url)
    found["thread_list, no match"] = visit(page, reverse("prospects:thread_list") + "?q=nobody")
    assert_none(found)


def test_every_list_page_has_no_serious_or_critical_violation_when_empty(page):
    demo_users(password=PASSWORD)
    log_in(page, "admin", PASSWORD)
    found = {name: visit(page, reverse(name)) for name, kwargs in PAGES.items() if kwargs is None}
    assert_none(found)


def log_in_refused(page) -> None:
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("didn't match")


def visit(page, url: str) -> list[str]:
    assert page.goto(url).ok, url
    page.wait_for_load_state("load")
    return accessibility_violations(page)


def assert_none(found: dict[str, list[str]]) -> None:
    failing = {state: violations for state, violations in found.items() if violations}
    assert not failing, "\n\n".join(
        f"{state}:\n" + "\n".join(violations) for state, violations in failing.items()
    )
