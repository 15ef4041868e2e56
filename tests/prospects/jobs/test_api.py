import pytest
from django.test import Client

from prospects.models import DraftJob
from tests.support.drafting import ingest
from tests.support.factories import make_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def threads(canon):
    return [ingest(make_inbound("Hi")).decision.thread for _ in range(2)]


def test_start_follow_cancel_and_retry_over_the_api(
    threads, operator, api_for, django_capture_on_commit_callbacks
):
    api = api_for(operator)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/api/jobs/", {"thread_ids": [str(t.id) for t in threads]}, format="json"
        )
    assert created.status_code == 201, created.content
    job = api.get(f"/api/jobs/{created.json()['id']}/").json()
    assert job["status"] == "done"
    assert job["progress"]["drafted"] == 2
    assert len(job["items"]) == 2
    assert api.post(f"/api/jobs/{job['id']}/retry/").json()["retried"] == 0
    assert api.post(f"/api/jobs/{job['id']}/cancel/").json()["status"] == "done"
    assert api.get("/api/jobs/").json()["count"] == 1
    assert api.get("/api/jobs/backlog/").json() == {"engines": []}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "scope"),
        ({"thread_ids": ["not-a-uuid"]}, "thread_ids"),
        ({"thread_ids": []}, "thread_ids"),
        ({"filter": {"draft_status": "held"}, "engine_id": "nope!"}, "engine_id"),
        ({"filter": {}}, "filter"),
    ],
)
def test_bad_job_requests_answer_400_with_the_field(threads, operator, api_for, payload, field):
    response = api_for(operator).post("/api/jobs/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert DraftJob.objects.count() == 0


def test_coworkers_cannot_start_jobs(threads, coworker, api_for):
    response = api_for(coworker).post(
        "/api/jobs/", {"thread_ids": [str(threads[0].id)]}, format="json"
    )
    assert response.status_code == 403


def test_the_panel_starts_a_job_from_ticked_threads_and_polls_progress(
    threads, operator, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/jobs/new/", {"thread_ids": [str(threads[0].id)]})
    job = DraftJob.objects.get()
    assert response["Location"] == f"/jobs/{job.id}/"
    progress = client.get(f"/jobs/{job.id}/progress_hx/", HTTP_HX_REQUEST="true")
    assert progress.status_code == 286  # done: htmx stops polling
    assert "1 / 1" in progress.content.decode()
    assert "Drafting jobs" in client.get("/jobs/").content.decode()
