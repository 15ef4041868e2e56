import pytest
from django.contrib.auth.models import User
from django.urls import get_resolver, reverse

from builder.models import Experiment, Snippet, Workflow
from prospects.demo import DEMO_EXPERIMENT, demo_load
from prospects.jobs import job_create
from prospects.models import Correction, Thread
from tests.browser.conftest import accessibility_violations, log_in
from tests.conftest import GEMMA, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every panel page, with the demo object it shows. The admin sees them all.
PAGES = {
    "prospects:dashboard": lambda: {},
    "prospects:thread_list": lambda: {},
    "prospects:thread_detail": lambda: {"thread_id": Thread.objects.get(handle="marco.r").id},
    "prospects:review": lambda: {},
    "prospects:correction_list": lambda: {},
    "prospects:correction_detail": lambda: {"correction_id": Correction.objects.first().id},
    "prospects:engine_list": lambda: {},
    "prospects:engine_detail": lambda: {"engine_id": GEMMA},
    "prospects:experiment_list": lambda: {},
    "prospects:experiment_new": lambda: {},
    "prospects:experiment_detail": lambda: {
        "experiment_id": Experiment.objects.get(slug=DEMO_EXPERIMENT).id
    },
    "prospects:settings": lambda: {},
    "prospects:job_list": lambda: {},
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
    "prospects:gpu": lambda: {},
    "builder:workflow_list": lambda: {},
    "builder:workflow_new": lambda: {},
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
    "builder:snippet_list": lambda: {},
    "builder:snippet_detail": lambda: {"snippet_id": Snippet.objects.first().id},
}
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
    "prospects:job_cancel",
    "prospects:job_retry",
    "prospects:workflow_preview_run",
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
    page.goto(reverse("login"))
    found = {page.url: accessibility_violations(page)}
    log_in(page, "admin", PASSWORD)
    for name, kwargs in PAGES.items():
        page.goto(reverse(name, kwargs=kwargs()))
        page.wait_for_load_state("load")
        found[page.url] = accessibility_violations(page)
    failing = {url: violations for url, violations in found.items() if violations}
    assert not failing, "\n\n".join(
        f"{url}:\n" + "\n".join(violations) for url, violations in failing.items()
    )
