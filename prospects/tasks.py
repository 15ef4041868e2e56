"""Celery tasks: ids in, then the service does the work.

The services import this module to enqueue after commit, so the tasks import the
services when they run, not at import time.
"""

from celery import shared_task
from django.conf import settings

from config.logs import log_context


@shared_task(acks_late=True, reject_on_worker_lost=True)
def dispatch_draft(draft_id: str) -> None:
    from prospects.dispatch import draft_dispatch

    with log_context(draft_id=draft_id):
        draft_dispatch(draft_id=draft_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def draft_job_chunk(self, item_ids: list[str], queue: str = "celery") -> None:
    """Drafts a chunk of items (live or a job's); while the engine is not ready the chunk
    comes back later, on the queue it came from, instead of holding the worker."""
    from prospects.jobs import Outcome, job_chunk_run

    # Run inline (CELERY_TASK_ALWAYS_EAGER), the caller expects the items drafted when the
    # call returns; and "later" would be now, again and again: the sweeper enqueues the
    # waiting items instead.
    eager = self.request.is_eager
    if job_chunk_run(item_ids=item_ids, wait=eager) == Outcome.WAIT and not eager:
        draft_job_chunk.apply_async(
            (item_ids, queue), countdown=settings.JOB_ENGINE_RETRY_SECONDS, queue=queue
        )


@shared_task
def workflow_preview_run(run_id: str) -> None:
    """Runs a workflow preview's chain on the model. Acked on receipt: the run's row says
    what became of it, and a delivered run never calls the model twice."""
    from prospects.preview import preview_run_execute

    with log_context(preview_run_id=run_id):
        preview_run_execute(run_id=run_id)


@shared_task
def sweep_jobs() -> int:
    from prospects.jobs import jobs_sweep

    return jobs_sweep()


@shared_task
def sweep_dispatches() -> int:
    from prospects.dispatch import drafts_dispatch_stale

    return drafts_dispatch_stale()


@shared_task
def sweep_runs() -> int:
    from engines.training import runs_sweep

    return runs_sweep()


@shared_task
def gpu_tick() -> None:
    """One GPU lifecycle tick; runs on its own queue so long drafting chunks never delay
    it (see CELERY_TASK_ROUTES)."""
    from prospects.gpu import gpu_tick_run

    gpu_tick_run()


def gpu_tick_kick() -> None:
    """Asks for a tick now (work was enqueued) instead of waiting for the next beat."""
    gpu_tick.apply_async(expires=settings.GPU_TICK_SECONDS * 2)


@shared_task(
    time_limit=settings.TRAINING_TIME_LIMIT, soft_time_limit=settings.TRAINING_TIME_LIMIT - 30
)
def train_run(run_id: str) -> str:
    """Trains one run on this worker (the CPU build of torch for small models). Acked on
    receipt: the run's own status row, not a redelivery, says what became of it."""
    from engines.training import training_run_execute

    with log_context(training_run_id=run_id):
        return training_run_execute(run_id).status


@shared_task(
    time_limit=settings.EVALUATION_TIME_LIMIT, soft_time_limit=settings.EVALUATION_TIME_LIMIT - 30
)
def evaluate_build(evaluation_id: str) -> str:
    from engines.evaluation import evaluation_execute

    with log_context(evaluation_id=evaluation_id):
        return evaluation_execute(evaluation_id).status
