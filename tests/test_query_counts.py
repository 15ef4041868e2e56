"""Query counts do not grow with the number of rows shown, on every list page and list
endpoint: each is measured with a few rows, then must stay within that with many more."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from builder.experiments import ArmSpec, experiment_create
from builder.services import snippet_save, workflow_create, workflow_publish
from core.roles import Role
from engines.training.evaluation import evaluation_create
from engines.training.runs import training_run_create
from prospects.events.services import subscription_create
from prospects.jobs.services import job_create
from prospects.models import Thread
from prospects.review.services import draft_correct, draft_reject
from tests.support.drafting import ingest
from tests.support.factories import GEMMA, definition, make_inbound
from tests.support.panel import logged_in
from tests.support.tiny_lm import SAMPLE_LINES

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/threads/",
    "/threads/?q=thread",
    "/review/",
    "/corrections/",
    "/engines/",
    "/jobs/",
    "/experiments/",
    "/workflows/",
    "/snippets/",
    f"/engines/{GEMMA}/",
    "/webhooks/",
    "/webhooks/deliveries/",
]
ENDPOINTS = [
    "/api/drafts/?page_size=200",
    "/api/drafts/?status=held&page_size=200",
    "/api/corrections/?page_size=200",
    "/api/threads/?page_size=200",
    "/api/threads/?move=pursue&created_after=2000-01-01T00:00:00Z&page_size=200",
    "/api/decisions/?page_size=200",
    "/api/decisions/?state=new&template_key=opener.welcome&page_size=200",
    "/api/jobs/?page_size=200",
    "/api/experiments/?page_size=200",
    "/api/workflows/?page_size=200",
    "/api/snippets/?page_size=200",
    "/api/training-runs/?page_size=200",
    "/api/evaluations/?page_size=200",
    "/api/webhooks/?page_size=200",
    "/api/webhooks/deliveries/?page_size=200",
]


@pytest.fixture
def grow(admin_user, gemma_build, canon):
    """Adds ``n`` of everything the lists show: threads with drafts, corrections, jobs,
    workflows, experiments, snippets, training runs, evaluations, webhook subscriptions
    and deliveries."""
    made = {"n": 0}

    def add(n: int) -> None:
        for _ in range(n):
            number = made["n"] = made["n"] + 1
            # Each held draft below makes a delivery to it.
            subscription_create(
                url=f"https://crm.example/{number}",
                events=["draft.ready", "draft.held"],
                user=admin_user,
            )
            drafts = [ingest(make_inbound("Hi there")).draft for _ in range(3)]
            draft_reject(draft_id=drafts[0].id, user=admin_user, reason_tags=["tone"])
            draft_correct(draft_id=drafts[1].id, user=admin_user, body=f"Edited {number}.")
            version = workflow_publish(
                version=workflow_create(slug=f"wf-{number}", definition=definition()),
                note="test",
            )
            experiment_create(
                slug=f"exp-{number}",
                name="Experiment",
                arms=[
                    ArmSpec(key="A", workflow_version=version, engine_id="template"),
                    ArmSpec(key="B", workflow_version=version, engine_id="template"),
                ],
            )
            snippet_save(kind="voice", key=f"voice-{number}", text="Warm.")
            job_create(user=admin_user, thread_ids=[str(drafts[2].thread_id)])
            training_run_create(
                lines=SAMPLE_LINES,
                parent_engine_id=GEMMA,
                source_engine_ids=[GEMMA],
                new_engine_id=f"{GEMMA}-voice-{number}",
                base_model="/not-trained-in-this-test",
            )
            evaluation_create(engine_id=GEMMA, head="voice", cases=[{"final_text": "x"}])

    return add


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200, response.status_code
    return len(captured)


@pytest.mark.parametrize("url", PAGES)
def test_panel_lists_do_not_query_per_row(url, grow, admin_user, django_assert_max_num_queries):
    client = logged_in(admin_user)
    grow(2)
    client.get(url)  # first request: session and caches
    few = _queries(lambda: client.get(url))
    grow(12)
    assert Thread.objects.count() >= 40
    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", ENDPOINTS)
def test_api_lists_do_not_query_per_row(
    url, grow, make_user, api_for, django_assert_max_num_queries
):
    api = api_for(make_user("reader", Role.ADMIN))
    grow(2)
    few = _queries(lambda: api.get(url))
    grow(12)
    with django_assert_max_num_queries(few):
        assert api.get(url).status_code == 200
