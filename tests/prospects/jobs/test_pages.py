"""The job page: its rows are polled with its header while the job runs and stop when it is
finished, its scope and statuses read in words, and a finished job offers no "Cancel job"
(issue 36, item 5)."""

import pytest
from django_htmx.http import HttpResponseStopPolling

from prospects.drafting.runner import job_chunk_run
from prospects.jobs.services import job_create
from prospects.models import DraftJob
from prospects.vocabulary import raw_codes
from tests.support.drafting import ingest
from tests.support.factories import make_inbound
from tests.support.panel import HTMX, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def threads(canon):
    return [ingest(make_inbound("Hi", thread=f"t-{n}")).decision.thread for n in range(2)]


@pytest.fixture
def running(threads, operator):
    """A job whose items are queued: the worker has not come yet."""
    return job_create(user=operator, thread_ids=[thread.id for thread in threads])


@pytest.fixture
def finished(threads, operator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_create(user=operator, thread_ids=[thread.id for thread in threads])
    job.refresh_from_db()
    assert job.status == DraftJob.Status.DONE
    return job


def text(response) -> str:
    return " ".join(response.content.decode().split())


class TestWhileTheJobRuns:
    def test_the_rows_are_polled_with_the_header_and_offer_cancel(self, running, operator):
        page = text(logged_in(operator).get(f"/jobs/{running.id}/"))

        assert f'hx-get="/jobs/{running.id}/detail_hx/" hx-trigger="every 2s"' in page
        # The header's own poll would race the page's: one poll for the whole job.
        assert f"/jobs/{running.id}/progress_hx/" not in page
        assert page.count('<span class="pill item-queued">Queued</span>') == 2
        assert "Cancel job" in page

    def test_a_poll_after_the_items_ran_shows_them_drafted_and_stops(self, running, operator):
        client = logged_in(operator)
        before = client.get(f"/jobs/{running.id}/detail_hx/", **HTMX)
        assert before.status_code == 200
        assert "Queued" in text(before)

        job_chunk_run(item_ids=list(running.items.values_list("id", flat=True)))
        after = client.get(f"/jobs/{running.id}/detail_hx/", **HTMX)

        assert after.status_code == HttpResponseStopPolling.status_code
        page = text(after)
        assert "<html" not in page
        assert '<span class="pill job-done">Done</span>' in page
        assert "Queued" not in page
        assert "Held for review" in page
        assert "hx-trigger" not in page


class TestAFinishedJob:
    def test_offers_no_cancel_and_no_poll(self, finished, operator):
        page = text(logged_in(operator).get(f"/jobs/{finished.id}/"))

        assert "Cancel job" not in page
        assert "hx-trigger" not in page

    def test_a_cancel_posted_from_an_old_page_says_it_had_finished(self, finished, operator):
        response = logged_in(operator).post(f"/jobs/{finished.id}/cancel/", follow=True)

        assert "The job had already finished: there was nothing to cancel." in text(response)
        finished.refresh_from_db()
        assert finished.status == DraftJob.Status.DONE

    def test_offers_no_retry_when_every_draft_was_delivered(self, finished, operator):
        assert "Retry" not in text(logged_in(operator).get(f"/jobs/{finished.id}/"))

    def test_its_statuses_and_hold_reasons_read_in_words(self, finished, operator):
        page = text(logged_in(operator).get(f"/jobs/{finished.id}/"))

        assert "Review mode: waiting for a coworker" in page
        assert raw_codes(page) == []


class TestTheScope:
    def test_ticked_threads_read_as_a_count(self, finished, operator):
        page = text(logged_in(operator).get(f"/jobs/{finished.id}/"))

        assert "<dt>Threads</dt><dd>2 ticked on the threads page</dd>" in page
        assert "{'" not in page

    def test_a_filter_reads_in_words(self, threads, operator):
        job = job_create(
            user=operator,
            filters={
                "draft_status": "held",
                "hold_reason": "review_mode",
                "template_key": "opener.welcome",
            },
        )

        page = text(logged_in(operator).get(f"/jobs/{job.id}/"))

        assert "<dt>Draft status</dt><dd>Held for review</dd>" in page
        assert "<dt>Hold reason</dt><dd>Review mode: waiting for a coworker</dd>" in page
        assert "<dt>Situation</dt><dd>Opener: welcome</dd>" in page
        assert raw_codes(page) == []
