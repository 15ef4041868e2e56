from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from core.clock import now
from engines.holds import HoldReason
from prospects.drafting.runner import Outcome, backlog, job_chunk_run, jobs_sweep
from prospects.jobs.services import job_cancel, job_create, job_progress, job_retry_failed
from prospects.models import Draft, DraftJob, DraftJobItem
from tests.support.drafting import ingest
from tests.support.factories import GEMMA, make_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def threads(canon):
    return [ingest(make_inbound("Hi")).decision.thread for _ in range(3)]


def test_a_job_drafts_every_thread_once_after_commit(
    threads, operator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_create(user=operator, thread_ids=[t.id for t in threads])
    job.refresh_from_db()
    assert job.status == DraftJob.Status.DONE
    progress = job_progress(job)
    assert (progress.total, progress.drafted, progress.pending) == (3, 3, 0)
    assert Draft.objects.count() == 6  # the ingest drafts plus one re-draft per thread
    item = job.items.first()
    assert job_chunk_run(item_ids=[item.id]) == Outcome.SKIPPED
    assert Draft.objects.count() == 6


def test_nothing_is_enqueued_before_the_rows_commit(threads, operator):
    job = job_create(user=operator, thread_ids=[threads[0].id])
    assert job.items.get().status == DraftJobItem.Status.QUEUED


def test_an_item_whose_draft_exists_is_finished_not_drafted_again(threads, operator):
    job = job_create(user=operator, thread_ids=[threads[0].id])
    item = job.items.get()
    existing = Draft.objects.filter(thread=threads[0]).get()
    DraftJobItem.objects.filter(id=item.id).update(status="running")
    Draft.objects.filter(id=existing.id).update(job_item=item)
    assert job_chunk_run(item_ids=[item.id]) == Outcome.DONE
    item.refresh_from_db()
    assert (item.status, item.draft.id) == ("drafted", existing.id)
    assert Draft.objects.filter(thread=threads[0]).count() == 1


def test_a_poison_item_is_held_after_too_many_attempts(threads, operator, settings):
    job = job_create(user=operator, thread_ids=[threads[0].id])
    item = job.items.get()
    DraftJobItem.objects.filter(id=item.id).update(
        attempts=settings.JOB_MAX_ATTEMPTS, last_error="WorkerLostError"
    )
    job_chunk_run(item_ids=[item.id])
    item.refresh_from_db()
    assert item.status == "held"
    assert item.draft.hold_reason == HoldReason.TOO_MANY_ATTEMPTS
    assert "WorkerLostError" in item.draft.hold_detail


def test_items_wait_while_the_engine_is_not_ready(threads, operator, gemma_build, settings):
    settings.GPU_INFERENCE_URL = ""
    job = job_create(user=operator, thread_ids=[threads[0].id], engine_id=GEMMA)
    item = job.items.get()
    assert job_chunk_run(item_ids=[item.id]) == Outcome.WAIT
    item.refresh_from_db()
    job.refresh_from_db()
    assert (item.status, item.attempts) == ("waiting", 0)
    assert job.status == DraftJob.Status.WAITING_FOR_ENGINE
    assert backlog() == [
        {
            "engine_id": GEMMA,
            "items": 1,
            "live_items": 0,
            "batch_items": 1,
            "oldest_age_seconds": 0,
        }
    ]


def test_cancel_stops_items_not_yet_running(threads, operator):
    job = job_create(user=operator, thread_ids=[t.id for t in threads])
    assert job_cancel(job=job) == 3
    assert job_chunk_run(item_ids=[job.items.first().id]) == Outcome.SKIPPED
    assert job_progress(job).cancelled == 3


def test_retry_requeues_failed_items(threads, operator, django_capture_on_commit_callbacks):
    job = job_create(user=operator, thread_ids=[threads[0].id])
    DraftJobItem.objects.filter(job=job).update(status="failed", last_error="boom")
    DraftJob.objects.filter(id=job.id).update(status="done")
    with django_capture_on_commit_callbacks(execute=True):
        assert job_retry_failed(job=job) == 1
    assert job.items.get().status == "drafted"


def test_the_sweeper_requeues_items_left_without_progress(threads, operator, settings):
    job = job_create(user=operator, thread_ids=[t.id for t in threads])
    old = now() - timedelta(seconds=settings.JOB_SWEEP_AFTER_SECONDS + 5)
    DraftJobItem.objects.filter(job=job).update(enqueued_at=old)
    assert jobs_sweep() == 3
    assert jobs_sweep() == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "scope"),
        ({"thread_ids": [], "filters": {"draft_status": "held"}}, "scope"),
        ({"thread_ids": ["00000000-0000-0000-0000-000000000000"]}, "thread_ids"),
        ({"filters": {"colour": "red"}}, "filter"),
        ({"filters": {"draft_status": "held"}, "engine_id": "gpu!"}, "engine_id"),
    ],
)
def test_bad_scopes_are_field_errors(threads, operator, kwargs, field):
    with pytest.raises(ValidationError) as error:
        job_create(user=operator, **kwargs)
    assert field in error.value.message_dict


def test_a_filter_scope_picks_threads_with_held_drafts(threads, operator):
    Draft.objects.filter(thread=threads[0]).update(status="rejected")
    job = job_create(user=operator, filters={"draft_status": "held"})
    assert job.items.count() == 2
