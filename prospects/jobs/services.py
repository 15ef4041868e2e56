"""Drafting jobs: a batch of threads to draft, created, followed, cancelled and retried here;
their items are drafted on the worker by ``prospects.drafting.runner``."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from builder.models import WorkflowVersion
from core.clock import now
from engines.holds import ENGINE_FAILURES
from engines.selectors import engine_id_problem
from prospects.models import Decision, Draft, DraftJob, DraftJobItem, Thread
from prospects.selectors import PROGRESS_STATUSES, pipeline_settings, with_progress
from prospects.work_queue import ITEM_ROUTE, items_enqueue

Item = DraftJobItem.Status
MAX_JOB_THREADS = 10_000
FILTER_FIELDS = {
    "draft_status": "drafts__status",
    "hold_reason": "drafts__hold_reason",
    "template_key": "decisions__template_key",
    "engine": "drafts__engine_id",
}


@dataclass(frozen=True)
class Progress:
    total: int
    drafted: int
    held: int
    failed: int
    pending: int
    cancelled: int

    @property
    def done(self) -> int:
        return self.drafted + self.held + self.failed

    @property
    def percent(self) -> int:
        return round(100 * (self.done + self.cancelled) / self.total) if self.total else 100


def _threads_in_scope(*, thread_ids, filters) -> list[Thread]:
    if thread_ids is not None:
        threads = list(Thread.objects.filter(id__in=thread_ids))
        missing = set(map(str, thread_ids)) - {str(thread.id) for thread in threads}
        if missing:
            raise ValidationError({"thread_ids": [f"Unknown threads: {sorted(missing)}"]})
        return threads
    unknown = set(filters) - set(FILTER_FIELDS)
    if unknown:
        raise ValidationError(
            {"filter": [f"Unknown filter keys {sorted(unknown)}; use {sorted(FILTER_FIELDS)}."]}
        )
    lookups = {FILTER_FIELDS[key]: value for key, value in filters.items() if value}
    if not lookups:
        raise ValidationError({"filter": ["Give at least one filter value."]})
    return list(Thread.objects.filter(**lookups).distinct()[: MAX_JOB_THREADS + 1])


def _latest_decisions(threads: list[Thread]) -> dict:
    latest = {}
    decisions = Decision.objects.filter(thread__in=threads).exclude(template_key="")
    for decision in decisions.order_by("thread_id", "-created_at"):
        latest.setdefault(decision.thread_id, decision)
    return latest


def job_create(
    *,
    user,
    thread_ids: list | None = None,
    filters: dict | None = None,
    engine_id: str = "",
    workflow_version: WorkflowVersion | None = None,
) -> DraftJob:
    """A job over explicit threads or a filter; raises ``ValidationError`` by field.

    Each thread is re-drafted from its latest decision that has a reply to draft; threads
    without one are left out (and counted in the error if none is left).
    """
    if (thread_ids is None) == (filters is None):
        raise ValidationError({"scope": ["Give either thread_ids or filter."]})
    if engine_id and (problem := engine_id_problem(engine_id)):
        raise ValidationError({"engine_id": [problem]})
    threads = _threads_in_scope(thread_ids=thread_ids, filters=filters or {})
    if len(threads) > MAX_JOB_THREADS:
        raise ValidationError({"scope": [f"At most {MAX_JOB_THREADS} threads per job."]})
    decisions = _latest_decisions(threads)
    if not decisions:
        raise ValidationError({"scope": ["No thread in scope has a reply to draft."]})
    engine = engine_id or pipeline_settings().draft_engine
    scope = (
        {"thread_ids": [str(t) for t in thread_ids]}
        if thread_ids is not None
        else {"filter": filters}
    )
    with transaction.atomic():
        job = DraftJob.objects.create(
            created_by=user, scope=scope, engine_id=engine_id, workflow_version=workflow_version
        )
        items = DraftJobItem.objects.bulk_create(
            DraftJobItem(
                job=job,
                thread_id=thread_id,
                decision=decision,
                engine_id=engine,
                enqueued_at=now(),
            )
            for thread_id, decision in decisions.items()
        )
        transaction.on_commit(lambda: items_enqueue(items))
    return job


def job_cancel(*, job: DraftJob) -> int:
    """Cancels a job; items not yet running are cancelled, running ones finish."""
    with transaction.atomic():
        DraftJob.objects.filter(
            id=job.id,
            status__in=DraftJob.LIVE,
        ).update(status=DraftJob.Status.CANCELLED, finished_at=now())
        return job.items.filter(status__in=[Item.QUEUED, Item.WAITING]).update(
            status=Item.CANCELLED
        )


def _retryable(job: DraftJob):
    """Items that failed, or whose draft the engine could not deliver (held for an engine
    failure; a draft held for review is drafted)."""
    return job.items.filter(
        Q(status=Item.FAILED) | Q(status=Item.HELD, draft__hold_reason__in=ENGINE_FAILURES)
    )


def job_retryable_count(job: DraftJob) -> int:
    """How many items ``job_retry_failed`` would queue again (the page offers it then)."""
    return _retryable(job).count()


def job_retry_failed(*, job: DraftJob) -> int:
    """Queues the failed and engine-held items again; the job runs again if it had ended."""
    with transaction.atomic():
        retried = list(_retryable(job).values_list(*ITEM_ROUTE))
        if not retried:
            return 0
        ids = [item_id for item_id, _, _ in retried]
        Draft.objects.filter(job_item_id__in=ids).update(job_item=None)
        DraftJobItem.objects.filter(id__in=ids).update(
            status=Item.QUEUED, attempts=0, last_error="", enqueued_at=now()
        )
        DraftJob.objects.filter(id=job.id).update(status=DraftJob.Status.QUEUED, finished_at=None)
        transaction.on_commit(lambda: items_enqueue(retried))
    return len(retried)


def job_progress(job: DraftJob) -> Progress:
    """From ``with_progress`` annotations when the job has them, else counted now."""
    if not hasattr(job, "progress_total"):
        job = with_progress(DraftJob.objects.filter(id=job.id)).get()
    return Progress(
        total=job.progress_total,
        **{name: getattr(job, f"progress_{name}") for name in PROGRESS_STATUSES},
    )
