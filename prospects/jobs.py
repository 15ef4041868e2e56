"""Drafting jobs: a batch of threads drafted by the worker, nothing lost, nothing twice.

Guarantees, whatever is redelivered, killed or restarted:
- items are enqueued only after their rows commit; the sweeper re-enqueues any item left
  queued with no progress (a publish can fail after the commit);
- an item is claimed with a conditional update, so one worker runs it at a time, and a
  draft is linked to its item in the draft's own transaction, so a redelivered item finds
  its draft instead of drafting again;
- an item that crashed its worker ``JOB_MAX_ATTEMPTS`` times is held with a reason;
- while the engine is not ready, items wait (re-scheduled later) without holding a worker.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from itertools import repeat

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q, Value
from django.db.models.functions import Coalesce

from builder.models import WorkflowVersion
from builder.selectors import canon_texts
from engines.clock import now
from engines.holds import ENGINE_FAILURES, HoldReason
from engines.ids import Provider, parse_engine_id
from engines.selectors import engine_id_problem, engine_ready
from prospects.models import Decision, Draft, DraftJob, DraftJobItem, Thread
from prospects.pipeline import draft_for_decision
from prospects.selectors import PROGRESS_STATUSES, pipeline_settings, with_progress
from prospects.tasks import draft_job_chunk, gpu_tick_kick

logger = logging.getLogger(__name__)
Item = DraftJobItem.Status
MAX_JOB_THREADS = 10_000
FILTER_FIELDS = {
    "draft_status": "drafts__status",
    "hold_reason": "drafts__hold_reason",
    "template_key": "decisions__template_key",
    "engine": "drafts__engine_id",
}


class Outcome(StrEnum):
    DONE = "done"
    WAIT = "wait"  # the engine is not ready: run me again later
    SKIPPED = "skipped"  # nothing to do: finished, cancelled, or another worker has it


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
        transaction.on_commit(lambda: _enqueue([(item.id, item.engine_id) for item in items]))
    return job


def chunk_size(engine_id: str) -> int:
    """Template items are cheap: many per task. Model items run ENGINE_CONCURRENCY at once,
    several waves per task so that a chunk's slowest item rarely leaves the engine idle."""
    if parse_engine_id(engine_id).is_template:
        return settings.JOB_CHUNK_SIZE
    return settings.JOB_MODEL_CHUNK_SIZE


def _enqueue(items: list[tuple], *, countdown: float = 0) -> None:
    """Enqueues ``(item_id, engine_id)`` pairs, one task per chunk of one engine's items."""
    by_engine: dict[str, list[str]] = {}
    for item_id, engine_id in items:
        by_engine.setdefault(engine_id, []).append(str(item_id))
    for engine_id, ids in by_engine.items():
        if parse_engine_id(engine_id).provider == Provider.DO_GPU:
            gpu_tick_kick()
        size = chunk_size(engine_id)
        for start in range(0, len(ids), size):
            draft_job_chunk.apply_async((ids[start : start + size],), countdown=countdown)


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


def job_retry_failed(*, job: DraftJob) -> int:
    """Queues the failed and engine-held items again; the job runs again if it had ended."""
    with transaction.atomic():
        retried = list(
            job.items.filter(
                Q(status=Item.FAILED) | Q(status=Item.HELD, draft__hold_reason__in=ENGINE_FAILURES)
            ).values_list("id", "engine_id")
        )
        if not retried:
            return 0
        ids = [item_id for item_id, _ in retried]
        Draft.objects.filter(job_item_id__in=ids).update(job_item=None)
        DraftJobItem.objects.filter(id__in=ids).update(
            status=Item.QUEUED, attempts=0, last_error="", enqueued_at=now()
        )
        DraftJob.objects.filter(id=job.id).update(status=DraftJob.Status.QUEUED, finished_at=None)
        transaction.on_commit(lambda: _enqueue(retried))
    return len(retried)


def _claim(item_ids) -> list[DraftJobItem]:
    """Takes the items no live worker holds, in one transaction; returns them, counted."""
    stale = now() - timedelta(seconds=settings.JOB_ITEM_STALE_SECONDS)
    with transaction.atomic():
        ids = list(
            DraftJobItem.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status__in=[Item.QUEUED, Item.WAITING])
                | Q(status=Item.RUNNING, updated_at__lt=stale),
                id__in=item_ids,
                job__status__in=DraftJob.LIVE,
            )
            .values_list("id", flat=True)
        )
        DraftJobItem.objects.filter(id__in=ids).update(
            status=Item.RUNNING, attempts=F("attempts") + 1, updated_at=now()
        )
    return list(
        DraftJobItem.objects.select_related(
            "job__workflow_version",
            "decision__message",
            "decision__thread",
            "decision__workflow_version__workflow",
        ).filter(id__in=ids)
    )


def _finish_items(pairs: list[tuple[DraftJobItem, Draft]]) -> None:
    """Records each item's outcome from its draft: one statement per outcome, not per item."""
    by_outcome: dict[str, list] = {}
    for item, draft in pairs:
        outcome = Item.HELD if draft.hold_reason in ENGINE_FAILURES else Item.DRAFTED
        by_outcome.setdefault(outcome, []).append(item.id)
    for outcome, ids in by_outcome.items():
        DraftJobItem.objects.filter(id__in=ids, status__in=DraftJobItem.PENDING).update(
            status=outcome, updated_at=now()
        )


def _finish_jobs_if_complete(job_ids) -> None:
    pending = DraftJobItem.objects.filter(job=OuterRef("pk"), status__in=DraftJobItem.PENDING)
    DraftJob.objects.filter(id__in=job_ids, status__in=DraftJob.LIVE).exclude(
        Exists(pending)
    ).update(status=DraftJob.Status.DONE, finished_at=now())


def job_chunk_run(*, item_ids) -> Outcome:
    """Runs a chunk of one engine's items (the task's body); safe to repeat any number of
    times: a finished item is skipped and a drafted one is never drafted again."""
    items = list(
        DraftJobItem.objects.select_related("job", "draft").filter(
            id__in=item_ids, status__in=DraftJobItem.PENDING
        )
    )
    if not items:
        return Outcome.SKIPPED
    job_ids = {item.job_id for item in items}
    cancelled = [item.id for item in items if item.job.status == DraftJob.Status.CANCELLED]
    DraftJobItem.objects.filter(id__in=cancelled).update(status=Item.CANCELLED)
    live = [item for item in items if item.id not in cancelled]
    # Drafted before a crash: finish from the linked draft instead of drafting twice.
    drafted = {item.id: draft for item in live if (draft := linked_draft(item))}
    _finish_items([(item, drafted[item.id]) for item in live if item.id in drafted])
    todo = [item for item in live if item.id not in drafted]
    if todo and not engine_ready(todo[0].engine_id):
        DraftJobItem.objects.filter(
            id__in=[item.id for item in todo], status__in=[Item.QUEUED, Item.WAITING]
        ).update(status=Item.WAITING, updated_at=now())
        DraftJob.objects.filter(
            id__in=job_ids, status__in=[DraftJob.Status.QUEUED, DraftJob.Status.RUNNING]
        ).update(status=DraftJob.Status.WAITING_FOR_ENGINE)
        return Outcome.WAIT
    claimed = _claim([item.id for item in todo]) if todo else []
    if claimed:
        DraftJob.objects.filter(
            id__in=job_ids, status__in=[DraftJob.Status.QUEUED, DraftJob.Status.WAITING_FOR_ENGINE]
        ).update(status=DraftJob.Status.RUNNING, started_at=Coalesce("started_at", Value(now())))
    poison = [item for item in claimed if item.attempts > settings.JOB_MAX_ATTEMPTS]
    for item in poison:
        _hold_poison_item(item)
    drafted, deferred = _draft_items([item for item in claimed if item not in poison])
    _finish_items(drafted)
    _defer(deferred)
    _finish_jobs_if_complete(job_ids)
    return Outcome.DONE


def linked_draft(item: DraftJobItem) -> Draft | None:
    """The draft the item produced, if any (a reverse one-to-one raises when there is none)."""
    try:
        return item.draft
    except Draft.DoesNotExist:
        return None


# A model item left undrafted because its engine stopped admitting calls mid-chunk.
DEFERRED = object()


def _draft_items(items: list[DraftJobItem]) -> tuple[list[tuple[DraftJobItem, Draft]], list]:
    """Drafts the items, a model engine's ENGINE_CONCURRENCY at a time; one item's crash
    never fails the others. Returns the drafted pairs and the items deferred because the
    engine stopped admitting calls (breaker open, endpoint gone) during the chunk."""
    if not items:
        return [], []
    canon = canon_texts(item.decision.template_key for item in items)
    concurrent = not parse_engine_id(items[0].engine_id).is_template
    if not concurrent:
        drafted = [(item, _draft_item(item, canon)) for item in items]
    else:
        with ThreadPoolExecutor(max_workers=settings.ENGINE_CONCURRENCY) as pool:
            drafted = list(
                zip(items, pool.map(_draft_item_in_thread, items, repeat(canon)), strict=True)
            )
    deferred = [item for item, draft in drafted if draft is DEFERRED]
    done = [(item, draft) for item, draft in drafted if draft is not None and draft is not DEFERRED]
    return done, deferred


def _draft_item_in_thread(item: DraftJobItem, canon: dict):
    try:
        if not engine_ready(item.engine_id):
            return DEFERRED
        return _draft_item(item, canon)
    finally:
        connection.close()


def _defer(items: list[DraftJobItem]) -> None:
    """Deferred items wait as a chunk that found the engine not ready does; the attempt
    does not count towards JOB_MAX_ATTEMPTS."""
    if not items:
        return
    DraftJobItem.objects.filter(id__in=[item.id for item in items], status=Item.RUNNING).update(
        status=Item.WAITING, attempts=F("attempts") - 1, updated_at=now()
    )
    pairs = [(item.id, item.engine_id) for item in items]
    transaction.on_commit(lambda: _enqueue(pairs, countdown=settings.JOB_ENGINE_RETRY_SECONDS))


def _draft_item(item: DraftJobItem, canon: dict) -> Draft | None:
    try:
        return draft_for_decision(
            item.decision,
            engine_id=item.engine_id,
            workflow_version=item.job.workflow_version,
            job_item=item,
            canon=canon,
        )
    except Exception as error:
        # Crash-loop guard: push the next attempt forward; the sweeper picks the item up
        # again once it is due, and after JOB_MAX_ATTEMPTS it is held.
        logger.exception("drafting job item %s failed", item.id, extra={"job_id": str(item.job_id)})
        DraftJobItem.objects.filter(id=item.id).update(
            status=Item.QUEUED,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            enqueued_at=now() + timedelta(seconds=settings.JOB_RETRY_BACKOFF_SECONDS),
        )
        return None


def _hold_poison_item(item: DraftJobItem) -> None:
    draft = Draft.objects.create(
        decision=item.decision,
        thread_id=item.thread_id,
        status=Draft.Status.HELD,
        hold_reason=HoldReason.TOO_MANY_ATTEMPTS,
        hold_detail=f"{item.attempts - 1} attempts failed; last error: {item.last_error}",
        engine_id=item.engine_id,
        job_item=item,
    )
    _finish_items([(item, draft)])


def jobs_sweep() -> int:
    """Re-enqueues items left queued with no progress, and running items whose worker died.

    Returns how many were re-enqueued.
    """
    cutoff = now() - timedelta(seconds=settings.JOB_SWEEP_AFTER_SECONDS)
    stale = now() - timedelta(seconds=settings.JOB_ITEM_STALE_SECONDS)
    with transaction.atomic():
        due = list(
            DraftJobItem.objects.select_for_update(skip_locked=True)
            .filter(job__status__in=DraftJob.LIVE)
            .filter(
                Q(status__in=[Item.QUEUED, Item.WAITING], enqueued_at__lt=cutoff)
                | Q(status=Item.RUNNING, updated_at__lt=stale)
            )
            .values_list("id", "engine_id")[:1000]
        )
        DraftJobItem.objects.filter(id__in=[item_id for item_id, _ in due]).update(
            enqueued_at=now()
        )
        transaction.on_commit(lambda: _enqueue(due))
    return len(due)


def job_progress(job: DraftJob) -> Progress:
    """From ``with_progress`` annotations when the job has them, else counted now."""
    if not hasattr(job, "progress_total"):
        job = with_progress(DraftJob.objects.filter(id=job.id)).get()
    return Progress(
        total=job.progress_total,
        **{name: getattr(job, f"progress_{name}") for name in PROGRESS_STATUSES},
    )


def backlog() -> list[dict]:
    """Items waiting per engine and the oldest one's age: what the GPU lifecycle watches."""
    rows = (
        DraftJobItem.objects.filter(status__in=DraftJobItem.PENDING)
        .values("engine_id")
        .annotate(items=Count("id"), oldest=Min("enqueued_at"))
        .order_by("engine_id")
    )
    moment = now()
    return [
        {
            "engine_id": row["engine_id"],
            "items": row["items"],
            "oldest_age_seconds": round((moment - row["oldest"]).total_seconds())
            if row["oldest"]
            else 0,
        }
        for row in rows
    ]
