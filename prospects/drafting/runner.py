"""Drafting work on the worker, nothing lost, nothing twice: drafting jobs (a batch of
threads) and live work (one inbound message's `queued` draft, an item with no job).

Guarantees, whatever is redelivered, killed or restarted:
- items are enqueued only after their rows commit; the sweeper re-enqueues any item left
  queued with no progress (a publish can fail after the commit);
- an item is claimed with a conditional update, so one worker runs it at a time, and a
  draft is linked to its item in the draft's own transaction, so a redelivered item finds
  its draft instead of drafting again;
- an item that crashed its worker ``JOB_MAX_ATTEMPTS`` times is held with a reason;
- while the engine is not ready, items wait (re-scheduled later) without holding a worker;
  live work waits at most LIVE_DRAFT_MAX_WAIT_SECONDS (ENDPOINT_DOWN_HOLD_SECONDS on an
  always-on endpoint that is down), then is held or falls back (``prospects.waiting``);
- live work not started yet moves to the new active engine when an admin flips it;
- live work goes on its own queue, which workers take before batch work.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from enum import StrEnum
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q, Value
from django.db.models.functions import Coalesce

from builder.selectors import canon_texts
from core.clock import now
from engines.concurrency import Priority, slots_for
from engines.holds import ENGINE_FAILURES, HoldReason
from engines.ids import TEMPLATE_ENGINE_ID, parse_engine_id
from engines.model_tasks import DRAFT, MOVE
from engines.selectors import EngineWait, engine_ready, engine_wait
from prospects.drafting.pipeline import (
    classifies_on_worker,
    decision_classify_on_worker,
    draft_for_decision,
    draft_record,
)
from prospects.events.services import draft_event_emit
from prospects.experiments.guardrails import guard_arm
from prospects.models import Draft, DraftJob, DraftJobItem, WithoutWorkflow
from prospects.selectors import pipeline_settings
from prospects.waiting import live_wait_over
from prospects.work_queue import ITEM_ROUTE, items_enqueue

logger = logging.getLogger(__name__)
Item = DraftJobItem.Status


class Outcome(StrEnum):
    DONE = "done"
    WAIT = "wait"  # the engine is not ready: run me again later
    SKIPPED = "skipped"  # nothing to do: finished, cancelled, or another worker has it


def _claim(item_ids, *, engine_id: str) -> list[DraftJobItem]:
    """Takes the items no live worker holds, in one transaction; returns them, counted.
    An item moved to another engine since it was read is left to that engine's task."""
    stale = now() - timedelta(seconds=settings.JOB_ITEM_STALE_SECONDS)
    with transaction.atomic():
        ids = list(
            DraftJobItem.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                Q(status__in=[Item.QUEUED, Item.WAITING])
                | Q(status=Item.RUNNING, updated_at__lt=stale),
                _OPEN_WORK,
                id__in=item_ids,
                engine_id=engine_id,
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


# Items still to run: live work, or a job's items while the job runs.
_OPEN_WORK = Q(job__isnull=True) | Q(job__status__in=DraftJob.LIVE)


def _finish_jobs_if_complete(job_ids) -> None:
    pending = DraftJobItem.objects.filter(job=OuterRef("pk"), status__in=DraftJobItem.PENDING)
    DraftJob.objects.filter(id__in=job_ids, status__in=DraftJob.LIVE).exclude(
        Exists(pending)
    ).update(status=DraftJob.Status.DONE, finished_at=now())


def job_chunk_run(*, item_ids, wait: bool = True) -> Outcome:
    """Runs a chunk of one engine's items (the task's body); safe to repeat any number of
    times: a finished item is skipped and a drafted one is never drafted again.

    A model build's items join its slots (``engines.concurrency``) one by one as slots
    free up and draft on this process's drafting threads; unless ``wait``, this returns
    once the last one has started, so the next chunk's items start as this one's end.
    """
    items = list(
        DraftJobItem.objects.select_related("job", "draft", "decision").filter(
            id__in=item_ids, status__in=DraftJobItem.PENDING
        )
    )
    if not items:
        return Outcome.SKIPPED
    job_ids = {item.job_id for item in items if item.job_id}
    cancelled = [
        item.id for item in items if item.job and item.job.status == DraftJob.Status.CANCELLED
    ]
    DraftJobItem.objects.filter(id__in=cancelled).update(status=Item.CANCELLED)
    open_items = [item for item in items if item.id not in cancelled]
    # Drafted before a crash: finish from the linked draft instead of drafting twice.
    drafted = {item.id: draft for item in open_items if (draft := drafted_draft(item))}
    _finish_items([(item, drafted[item.id]) for item in open_items if item.id in drafted])
    todo = [item for item in open_items if item.id not in drafted]
    waiting = []
    # One engine's items, unless an admin moved some to the new active engine meanwhile.
    for engine_id in dict.fromkeys(item.engine_id for item in todo):
        engine_items = [item for item in todo if item.engine_id == engine_id]
        waiting += _run_for_engine(engine_id, engine_items, wait=wait)
    _finish_jobs_if_complete(job_ids)
    return Outcome.WAIT if waiting else Outcome.DONE


def _run_for_engine(engine_id: str, items: list[DraftJobItem], *, wait: bool) -> list:
    """Drafts one engine's items; while the engine is not ready they wait (live work until
    ``live_wait_over``). Returns the items left waiting."""
    waiting = []
    if why := engine_wait(engine_id):
        items = _give_up_waiting(items, why)
        waiting = [item for item in items if _waits_for_engine(item)]
        items = [item for item in items if item not in waiting]
        DraftJobItem.objects.filter(
            id__in=[item.id for item in waiting], status__in=[Item.QUEUED, Item.WAITING]
        ).update(status=Item.WAITING, updated_at=now())
        DraftJob.objects.filter(
            id__in={item.job_id for item in waiting},
            status__in=[DraftJob.Status.QUEUED, DraftJob.Status.RUNNING],
        ).update(status=DraftJob.Status.WAITING_FOR_ENGINE)
    if items and parse_engine_id(engine_id).is_template:
        _draft_here(items)
    elif items:
        _draft_in_slots(items, wait=wait)
    return waiting


def _waits_for_engine(item: DraftJobItem) -> bool:
    """Whether an item needs its (not ready) engine: a live message with no workflow to run
    is held `no_workflow` (or falls back) at once, as drafting it would."""
    return item.job_id is not None or item.decision.workflow_version_id is not None


def live_draft_run(draft: Draft) -> Draft:
    """Drafts a `queued` live draft here and now, exactly as the worker would (for the demo
    loader; never inside a request). Returns the draft as it ended: still `queued` when
    its engine is not ready."""
    if draft.status == Draft.Status.QUEUED:
        job_chunk_run(item_ids=[draft.job_item_id])
    return Draft.objects.get(id=draft.id)


def linked_draft(item: DraftJobItem) -> Draft | None:
    """The item's draft, if any (a reverse one-to-one raises when there is none): live work's
    placeholder from the start, a job item's once drafted."""
    try:
        return item.draft
    except Draft.DoesNotExist:
        return None


def drafted_draft(item: DraftJobItem) -> Draft | None:
    """The draft the item produced, if it has produced one (a placeholder still `queued`
    has not)."""
    draft = linked_draft(item)
    return draft if draft is not None and draft.status != Draft.Status.QUEUED else None


def _give_up_waiting(items: list[DraftJobItem], why: EngineWait) -> list[DraftJobItem]:
    """Live work that waited long enough for its engine (``live_wait_over``) is held with
    the reason, or drafted by the template engine when the pipeline settings say to fall
    back. Returns the items that go on waiting."""
    over = {}
    for item in items:
        give_up = item.job_id is None and live_wait_over(
            engine_id=item.engine_id, created_at=item.created_at, wait=why
        )
        if give_up:
            over[item.id] = give_up
    if not over:
        return items
    expired = [item for item in items if item.id in over]
    if pipeline_settings().engine_wait_fallback == WithoutWorkflow.TEMPLATE:
        claimed = _claim([item.id for item in expired], engine_id=expired[0].engine_id)
        drafted = [
            (item, _draft_item(item, None, engine_id=TEMPLATE_ENGINE_ID)) for item in claimed
        ]
        _finish_items([(item, draft) for item, draft in drafted if draft is not None])
    else:
        for item in expired:
            _hold_item(item, over[item.id].reason, over[item.id].detail)
    return [item for item in items if item.id not in over]


def _mark_jobs_running(items: list[DraftJobItem]) -> None:
    DraftJob.objects.filter(
        id__in={item.job_id for item in items if item.job_id},
        status__in=[DraftJob.Status.QUEUED, DraftJob.Status.WAITING_FOR_ENGINE],
    ).update(status=DraftJob.Status.RUNNING, started_at=Coalesce("started_at", Value(now())))


def _claim_runnable(item_ids, *, engine_id: str) -> list[DraftJobItem]:
    """Claims the items; one that crashed its worker too often is held instead."""
    claimed = _claim(item_ids, engine_id=engine_id)
    _mark_jobs_running(claimed)
    poison = [item for item in claimed if item.attempts > settings.JOB_MAX_ATTEMPTS]
    for item in poison:
        _hold_poison_item(item)
    return [item for item in claimed if item not in poison]


def _draft_here(items: list[DraftJobItem]) -> None:
    """Template items: cheap, CPU-bound, drafted one after another in this thread."""
    runnable = _claim_runnable([item.id for item in items], engine_id=items[0].engine_id)
    canon = canon_texts(item.decision.template_key for item in runnable)
    drafted = [(item, _draft_item(item, canon)) for item in runnable]
    _finish_items([(item, draft) for item, draft in drafted if draft is not None])


def _draft_in_slots(items: list[DraftJobItem], *, wait: bool) -> None:
    """Each item takes one of its build's slots (live first), is claimed only then (so it
    never goes stale while it waits for a slot), and drafts on a drafting thread. A chunk
    of one drafts in this thread: its caller has nothing else to do."""
    slots = slots_for(items[0].engine_id)
    canon = canon_texts(item.decision.template_key for item in items)
    started = []
    for item in items:
        token = slots.acquire(chain_priority(item))
        release = partial(slots.release, token)
        try:
            claimed = _claim_runnable([item.id], engine_id=item.engine_id)
        except BaseException:
            release()
            raise
        if not claimed:
            release()
        elif len(items) == 1:
            _draft_in_slot(claimed[0], canon, release)
        else:
            started.append(_drafting_threads().submit(_draft_on_thread, claimed[0], canon, release))
    if wait:
        for future in started:
            future.result()


def chain_priority(item: DraftJobItem) -> Priority:
    """Live before batch; within a lane, by the chain's first model task: a chain that
    begins with the move head (a live message the rules decided at ingest, when the
    classifier is a served build) goes before one that only drafts (a job's redraft, a
    message already classified)."""
    live = item.job_id is None
    classifier = pipeline_settings().classifier_engine
    first = MOVE if live and classifies_on_worker(item.decision, classifier=classifier) else DRAFT
    return Priority.of(live=live, task=first)


_threads: ThreadPoolExecutor | None = None
_threads_lock = threading.Lock()


def _drafting_threads() -> ThreadPoolExecutor:
    """This process's drafting threads, made on first use (after a prefork worker forks)."""
    global _threads
    with _threads_lock:
        if _threads is None:
            _threads = ThreadPoolExecutor(
                max_workers=settings.WORKER_DRAFT_THREADS, thread_name_prefix="draft"
            )
        return _threads


def _draft_in_slot(item: DraftJobItem, canon: dict, release: Callable[[], None]) -> None:
    """Drafts one claimed item and gives its slot back; an engine that stopped admitting
    calls (breaker open, endpoint gone) since the chunk began defers the item, once the
    slot is back (run inline, the deferral may draft again at once)."""
    try:
        ready = not _waits_for_engine(item) or engine_ready(item.engine_id)
        if ready:
            draft = _draft_item(item, canon)
            if draft is not None:
                _finish_items([(item, draft)])
            if item.job_id:
                _finish_jobs_if_complete({item.job_id})
    finally:
        release()
    if not ready:
        _defer([item])


def _draft_on_thread(item: DraftJobItem, canon: dict, release: Callable[[], None]) -> None:
    try:
        _draft_in_slot(item, canon, release)
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
    transaction.on_commit(lambda: items_enqueue(items, countdown=settings.JOB_ENGINE_RETRY_SECONDS))


def _draft_item(item: DraftJobItem, canon: dict | None, *, engine_id: str = "") -> Draft | None:
    try:
        if item.job_id is None:
            return _draft_live_item(item, canon, engine_id=engine_id)
        return draft_for_decision(
            item.decision,
            engine_id=engine_id or item.engine_id,
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


def _draft_live_item(item: DraftJobItem, canon: dict | None, *, engine_id: str) -> Draft | None:
    """The LoRA head (when configured) decides first; then the decision's own engine and
    workflow draft into the placeholder, or into a new draft when the rules saw no reply
    but the head does. Still no reply: a placeholder is held `no_reply`; without one the
    item just ends (None)."""
    decision = decision_classify_on_worker(item.decision)
    if not decision.template_key:
        if linked_draft(item) is None:
            DraftJobItem.objects.filter(id=item.id, status__in=DraftJobItem.PENDING).update(
                status=Item.DRAFTED, updated_at=now()
            )
            return None
        return _hold_item(
            item, HoldReason.NO_REPLY, f"The move classifier chose '{decision.move}'."
        )
    return draft_for_decision(
        decision,
        engine_id=engine_id,
        job_item=item,
        canon=canon if decision.template_key == item.decision.template_key else None,
    )


def _hold_poison_item(item: DraftJobItem) -> None:
    _hold_item(
        item,
        HoldReason.TOO_MANY_ATTEMPTS,
        f"{item.attempts - 1} attempts failed; last error: {item.last_error}",
    )


def _hold_item(item: DraftJobItem, reason: HoldReason, detail: str) -> Draft:
    """Holds the item's draft (its placeholder, or a new draft for a job item) with no body,
    and finishes the item."""
    with transaction.atomic():
        draft = draft_record(
            decision=item.decision,
            job_item=item,
            status=Draft.Status.HELD,
            hold_reason=reason,
            hold_detail=detail,
            drafted_hold_reason=reason,
            engine_id=item.engine_id,
        )
        draft_event_emit(draft)
    _finish_items([(item, draft)])
    if draft.experiment_arm:
        guard_arm(draft.experiment_arm)
    return draft


def jobs_sweep() -> int:
    """Re-enqueues items left queued with no progress, and running items whose worker died.

    Returns how many were re-enqueued.
    """
    cutoff = now() - timedelta(seconds=settings.JOB_SWEEP_AFTER_SECONDS)
    stale = now() - timedelta(seconds=settings.JOB_ITEM_STALE_SECONDS)
    with transaction.atomic():
        due = list(
            DraftJobItem.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(_OPEN_WORK)
            .filter(
                Q(status__in=[Item.QUEUED, Item.WAITING], enqueued_at__lt=cutoff)
                | Q(status=Item.RUNNING, updated_at__lt=stale)
            )
            .values_list(*ITEM_ROUTE)[:1000]
        )
        DraftJobItem.objects.filter(id__in=[item_id for item_id, _, _ in due]).update(
            enqueued_at=now()
        )
        transaction.on_commit(lambda: items_enqueue(due))
    return len(due)


def backlog() -> list[dict]:
    """Work waiting per engine, live and batch apart, and the oldest item's age: what the
    GPU lifecycle watches (it counts both lanes)."""
    live = Q(job__isnull=True)
    rows = (
        DraftJobItem.objects.filter(status__in=DraftJobItem.PENDING)
        .values("engine_id")
        .annotate(
            items=Count("id"),
            live_items=Count("id", filter=live),
            oldest=Min("created_at"),
        )
        .order_by("engine_id")
    )
    moment = now()
    return [
        {
            "engine_id": row["engine_id"],
            "items": row["items"],
            "live_items": row["live_items"],
            "batch_items": row["items"] - row["live_items"],
            "oldest_age_seconds": max(0, round((moment - row["oldest"]).total_seconds())),
        }
        for row in rows
    ]
