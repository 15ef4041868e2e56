"""What the GPU lifecycle needs from the jobs, handed down to ``engines`` as plain data."""

from django.db.models import Exists, OuterRef

from engines.gpu.lifecycle import BuildLoad, TickReport, lifecycle_tick
from engines.gpu.policy import GAP_WINDOW
from engines.gpu.selectors import gpu_drafter_ids
from prospects.drafting.runner import backlog
from prospects.models import RULES, DraftJob, DraftJobItem
from prospects.selectors import pipeline_settings


def recent_arrivals(engine_id: str) -> tuple:
    """When the last work for ``engine_id`` arrived (a job, or a live message), oldest
    first, however long ago: a sparse build's history is days long. Newest first, so each
    query stops early."""
    for_engine = DraftJobItem.objects.filter(job=OuterRef("pk"), engine_id=engine_id)
    jobs = (
        DraftJob.objects.filter(Exists(for_engine))
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: GAP_WINDOW + 1]
    )
    live = (
        DraftJobItem.objects.filter(engine_id=engine_id, job__isnull=True)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: GAP_WINDOW + 1]
    )
    return tuple(sorted([*jobs, *live])[-(GAP_WINDOW + 1) :])


def build_loads() -> dict[str, BuildLoad]:
    """Per on-demand GPU build: items waiting, the oldest one's age, and when its jobs
    arrived lately (the lifecycle manages nothing else)."""
    engines = {row["engine_id"]: row for row in backlog()}
    arrivals = {engine_id: recent_arrivals(engine_id) for engine_id in gpu_drafter_ids()}
    return {
        engine_id: BuildLoad(
            items=engines.get(engine_id, {}).get("items", 0),
            live_items=engines.get(engine_id, {}).get("live_items", 0),
            oldest_age_seconds=engines.get(engine_id, {}).get("oldest_age_seconds", 0),
            arrivals=arrivals[engine_id],
        )
        for engine_id in arrivals
    }


def gpu_tick_run() -> TickReport | None:
    """One lifecycle tick with the current backlog; None when another tick is running."""
    classifier = pipeline_settings().classifier_engine
    companions = () if classifier == RULES else (classifier,)
    return lifecycle_tick(loads=build_loads(), companions=companions)
