"""Starting a drafting job from the panel: a bad value comes back next to its field on the
jobs page, with the input kept and nothing started."""

import uuid

import pytest

from prospects.models import DraftJob
from tests.support.drafting import ingest
from tests.support.factories import make_inbound
from tests.support.panel import field_error, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def threads(canon):
    return [ingest(make_inbound("Hi")).decision.thread for _ in range(2)]


def test_an_unknown_hold_reason_is_shown_next_to_its_select_and_the_rest_is_kept(threads, operator):
    response = logged_in(operator).post(
        "/jobs/new/",
        {
            "draft_status": "held",
            "hold_reason": "bogus",
            "template_key": "opener.welcome",
            "engine_id": "template",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Select a valid choice" in field_error(page, "hold_reason")
    assert 'aria-describedby="id_hold_reason_error"' in page
    assert '<option value="opener.welcome" selected>' in page
    assert '<option value="template" selected>' in page
    assert not DraftJob.objects.exists()


def test_an_engine_that_cannot_draft_is_refused_next_to_the_engine(threads, operator):
    response = logged_in(operator).post(
        "/jobs/new/", {"thread_ids": [str(threads[0].id)], "engine_id": "no-such-engine"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Select a valid choice" in field_error(page, "engine_id")
    assert f'name="thread_ids" value="{threads[0].id}"' in page
    assert not DraftJob.objects.exists()


@pytest.mark.parametrize("bad", ["not-a-uuid", str(uuid.uuid4())])
def test_ticked_threads_that_do_not_exist_are_named_next_to_the_threads(bad, threads, operator):
    response = logged_in(operator).post("/jobs/new/", {"thread_ids": [str(threads[0].id), bad]})
    page = response.content.decode()
    assert response.status_code == 400
    assert bad in field_error(page, "thread_ids")
    assert "2 threads ticked" in page
    assert not DraftJob.objects.exists()


def test_neither_threads_nor_a_filter_asks_for_one(threads, operator):
    response = logged_in(operator).post("/jobs/new/", {"engine_id": "template"})
    page = response.content.decode()
    assert response.status_code == 400
    assert '<ul class="errorlist nonfield">' in page
    assert "Tick threads on the threads page, or choose a filter." in page
    assert '<input type="hidden" name="draft_status" value="held">' in page
    assert not DraftJob.objects.exists()


def test_an_unknown_draft_status_is_refused(threads, operator):
    response = logged_in(operator).post("/jobs/new/", {"draft_status": "lost"})
    assert response.status_code == 400
    assert "Select a valid choice" in field_error(response.content.decode(), "draft_status")
    assert not DraftJob.objects.exists()


def test_the_service_refusal_shows_on_the_form(threads, operator):
    response = logged_in(operator).post(
        "/jobs/new/", {"draft_status": "rejected", "template_key": "opener.welcome"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "No thread in scope has a reply to draft." in page
    assert '<option value="opener.welcome" selected>' in page
    assert not DraftJob.objects.exists()


def test_ticked_threads_start_a_job(threads, operator):
    response = logged_in(operator).post(
        "/jobs/new/",
        {"thread_ids": [str(thread.id) for thread in threads], "engine_id": "template"},
    )
    job = DraftJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/{job.id}/"
    assert job.scope == {"thread_ids": [str(thread.id) for thread in threads]}
    assert job.engine_id == "template"


def test_the_held_filter_starts_a_job(threads, operator):
    response = logged_in(operator).post(
        "/jobs/new/", {"draft_status": "held", "template_key": "", "engine_id": ""}
    )
    job = DraftJob.objects.get()
    assert response.status_code == 302
    assert job.scope == {"filter": {"draft_status": "held"}}
    assert job.engine_id == ""
