"""Where drafting work goes: one Celery task per chunk of one engine's items of one lane,
each lane on its own queue."""

from django.conf import settings

from engines.ids import Provider, parse_engine_id
from prospects.enqueue import gpu_tick_soon, job_chunk_later
from prospects.models import Lane

# The fields ``items_enqueue`` routes by, for ``values_list``.
ITEM_ROUTE = ("id", "engine_id", "job_id")
# Workers list the live queue first and take their queues in that order (see
# CELERY_BROKER_TRANSPORT_OPTIONS), so a live draft waits for at most the chunk in flight.
LANE_QUEUES = {Lane.LIVE: "live", Lane.BATCH: "celery"}


def chunk_size(engine_id: str) -> int:
    """Template items are cheap: many per task. Model items start one by one as their
    build's slots free up, so a chunk only bounds how long a task is busy handing them on
    (what a live task waits for on a worker with one task slot)."""
    if parse_engine_id(engine_id).is_template:
        return settings.JOB_CHUNK_SIZE
    return settings.JOB_MODEL_CHUNK_SIZE


def items_enqueue(items, *, countdown: float = 0) -> None:
    """Enqueues items (rows, or ``(id, engine_id, job_id)`` rows of ``ITEM_ROUTE``), one
    task per chunk of one engine's items of one lane, each lane on its own queue."""
    chunks: dict[tuple[str, Lane], list[str]] = {}
    for item in items:
        item_id, engine_id, job_id = (
            item if isinstance(item, tuple) else (item.id, item.engine_id, item.job_id)
        )
        lane = Lane.BATCH if job_id else Lane.LIVE
        chunks.setdefault((engine_id, lane), []).append(str(item_id))
    for (engine_id, lane), ids in chunks.items():
        if parse_engine_id(engine_id).provider == Provider.DO_GPU:
            gpu_tick_soon()
        size = chunk_size(engine_id)
        for start in range(0, len(ids), size):
            queue = LANE_QUEUES[lane]
            job_chunk_later(ids[start : start + size], queue=queue, countdown=countdown)
