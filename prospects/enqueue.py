"""Work handed to the worker, by task name.

``prospects.tasks`` calls the services; the services enqueue those tasks through Celery's
registry by name, so the two never import each other both ways (no import cycle inside
the app). A name missing from the registry fails loudly at the first enqueue, and a test
enqueues each one.
"""

from celery import current_app
from django.conf import settings


def _task(name: str):
    return current_app.tasks[f"prospects.tasks.{name}"]


def dispatch_later(draft_id, *, countdown: float = 0) -> None:
    _task("dispatch_draft").apply_async((str(draft_id),), countdown=countdown)


def job_chunk_later(item_ids: list[str], *, queue: str, countdown: float = 0) -> None:
    _task("draft_job_chunk").apply_async((item_ids, queue), countdown=countdown, queue=queue)


def gpu_tick_soon() -> None:
    """Asks for a tick now (work was enqueued) instead of waiting for the next beat."""
    _task("gpu_tick").apply_async(expires=settings.GPU_TICK_SECONDS * 2)


def preview_later(run_id) -> None:
    _task("workflow_preview_run").delay(str(run_id))


def playground_later(run_id) -> None:
    _task("playground_run").delay(str(run_id))


def training_later(run_id) -> None:
    _task("train_run").delay(str(run_id))


def evaluation_later(evaluation_id) -> None:
    _task("evaluate_build").delay(str(evaluation_id))


def webhook_delivery_later(delivery_id) -> None:
    _task("deliver_webhook").delay(str(delivery_id))
