"""Celery tasks: ids in, then the service does the work.

Dependencies point one way: tasks import the services, and the services enqueue tasks
by name (``prospects/enqueue.py``).
"""

from celery import shared_task
from django.conf import settings

from core.logs import log_context
from engines.training.evaluation import evaluation_execute
from engines.training.runs import runs_sweep, training_run_execute
from prospects.builds.gpu import gpu_tick_run
from prospects.builds.move_head import move_head_retrain
from prospects.drafting.dispatch import draft_dispatch, drafts_dispatch_stale
from prospects.drafting.runner import Outcome, job_chunk_run, jobs_sweep
from prospects.events.services import deliveries_sweep, delivery_attempt
from prospects.jobs.playground import playground_run_execute
from prospects.jobs.preview import preview_run_execute
from prospects.outcomes import outcomes_sweep_no_reply


@shared_task(acks_late=True, reject_on_worker_lost=True)
def dispatch_draft(draft_id: str) -> None:
    with log_context(draft_id=draft_id):
        draft_dispatch(draft_id=draft_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def draft_job_chunk(self, item_ids: list[str], queue: str = "celery") -> None:
    """Drafts a chunk of items (live or a job's); while the engine is not ready the chunk
    comes back later, on the queue it came from, instead of holding the worker."""
    # Run inline (CELERY_TASK_ALWAYS_EAGER), the caller expects the items drafted when the
    # call returns; and "later" would be now, again and again: the sweeper enqueues the
    # waiting items instead.
    eager = self.request.is_eager
    if job_chunk_run(item_ids=item_ids, wait=eager) == Outcome.WAIT and not eager:
        draft_job_chunk.apply_async(
            (item_ids, queue), countdown=settings.JOB_ENGINE_RETRY_SECONDS, queue=queue
        )


@shared_task(bind=True)
def workflow_preview_run(self, run_id: str) -> None:
    """Runs a workflow preview's chain on the model. Acked on receipt: the run's row says
    what became of it, and a delivered run never calls the model twice. A run waiting for
    a machine to boot is asked again later."""
    with log_context(preview_run_id=run_id):
        run = preview_run_execute(run_id=run_id)
    if run.status == run.Status.QUEUED and not self.request.is_eager:
        self.apply_async((run_id,), countdown=settings.JOB_ENGINE_RETRY_SECONDS)


@shared_task
def playground_run(run_id: str) -> None:
    """Runs the playground's stages. Acked on receipt, as a preview run is."""
    with log_context(playground_run_id=run_id):
        playground_run_execute(run_id=run_id)


@shared_task
def sweep_jobs() -> int:
    return jobs_sweep()


@shared_task
def sweep_dispatches() -> int:
    return drafts_dispatch_stale()


@shared_task
def deliver_webhook(delivery_id: str) -> None:
    """Posts one event to one subscriber. Safe to run twice: its claim keeps a delivery to
    one post at a time and a delivered one is never posted again; the sweeper queues it
    again if this task is lost."""
    with log_context(webhook_delivery_id=delivery_id):
        delivery_attempt(delivery_id=delivery_id)


@shared_task
def sweep_webhooks() -> int:
    return deliveries_sweep()


@shared_task
def sweep_runs() -> int:
    return runs_sweep()


@shared_task
def sweep_no_reply() -> int:
    """Records ``no_reply`` for threads silent for ``NO_REPLY_DAYS`` after a reply."""
    return outcomes_sweep_no_reply()


@shared_task
def gpu_tick() -> None:
    """One GPU lifecycle tick; runs on its own queue so long drafting chunks never delay
    it (see CELERY_TASK_ROUTES)."""
    gpu_tick_run()


@shared_task(
    time_limit=settings.TRAINING_TIME_LIMIT, soft_time_limit=settings.TRAINING_TIME_LIMIT - 30
)
def train_run(run_id: str) -> str:
    """Trains one run on this worker (the CPU build of torch for small models). Acked on
    receipt: the run's own status row, not a redelivery, says what became of it."""
    with log_context(training_run_id=run_id):
        return training_run_execute(run_id).status


@shared_task(
    time_limit=settings.EVALUATION_TIME_LIMIT, soft_time_limit=settings.EVALUATION_TIME_LIMIT - 30
)
def evaluate_build(evaluation_id: str) -> str:
    with log_context(evaluation_id=evaluation_id):
        return evaluation_execute(evaluation_id).status


@shared_task(
    time_limit=settings.TRAINING_TIME_LIMIT, soft_time_limit=settings.TRAINING_TIME_LIMIT - 30
)
def retrain_move_head() -> str:
    """Trains a linear move head challenger once enough labels arrived (Celery beat);
    its training run row says what became of it."""
    training = move_head_retrain()
    return training.build.engine_id if training else ""
