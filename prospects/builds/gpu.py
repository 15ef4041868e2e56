"""What the GPU lifecycle needs from the jobs, handed down to ``engines`` as plain data."""

from datetime import timedelta

from django.db.models import Count, Exists, Min, OuterRef
from django.utils.timezone import now

from engines.gpu.forecast import HISTORY_ARRIVALS, HISTORY_SECONDS
from engines.gpu.lifecycle import BuildLoad, TickReport, lifecycle_tick, rides_along
from engines.gpu.selectors import gpu_drafter_ids
from prospects.drafting.runner import backlog
from prospects.models import RULES, DraftJob, DraftJobItem
from prospects.selectors import pipeline_settings


def recent_arrivals(engine_id: str) -> tuple:
    """When work for ``engine_id`` arrived (a job, or a live message) over the history the
    forecast reads (``engines.gpu.forecast``), oldest first. Newest first, so each query
    stops early."""
    since = now() - timedelta(seconds=HISTORY_SECONDS)
    for_engine = DraftJobItem.objects.filter(job=OuterRef("pk"), engine_id=engine_id)
    jobs = (
        DraftJob.objects.filter(Exists(for_engine), created_at__gte=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:HISTORY_ARRIVALS]
    )
    live = (
        DraftJobItem.objects.filter(engine_id=engine_id, job__isnull=True, created_at__gte=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:HISTORY_ARRIVALS]
    )
    return tuple(sorted([*jobs, *live])[-HISTORY_ARRIVALS:])


def build_loads() -> dict[str, BuildLoad]:
    """Per on-demand GPU build: items waiting, the oldest one's age, and when its jobs
    arrived lately (the lifecycle manages nothing else); and the live classifier's, when
    it is a do-gpu build that needs a machine of its own."""
    engines = {row["engine_id"]: row for row in backlog()}
    drafters = gpu_drafter_ids()
    loads = {
        engine_id: BuildLoad(
            items=engines.get(engine_id, {}).get("items", 0),
            live_items=engines.get(engine_id, {}).get("live_items", 0),
            oldest_age_seconds=engines.get(engine_id, {}).get("oldest_age_seconds", 0),
            arrivals=recent_arrivals(engine_id),
        )
        for engine_id in drafters
    }
    classifier = pipeline_settings().classifier_engine
    if classifier != RULES and classifier not in loads and not rides_along(classifier, drafters):
        loads[classifier] = classifier_load()
    return loads


def classifier_load() -> BuildLoad:
    """The live classifier's work: live messages the worker has not yet asked it about
    (the rules decided them at ingest), and when live messages came. A message whose
    classifier gave no answer is not waiting for it: the rules' decision stands."""
    since = now() - timedelta(seconds=HISTORY_SECONDS)
    live = DraftJobItem.objects.filter(job__isnull=True)
    waiting = live.filter(
        status__in=DraftJobItem.PENDING,
        decision__classified_by=RULES,
        decision__classifier_problem="",
    ).aggregate(items=Count("id"), oldest=Min("created_at"))
    arrivals = (
        live.filter(created_at__gte=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:HISTORY_ARRIVALS]
    )
    oldest = waiting["oldest"]
    return BuildLoad(
        items=waiting["items"],
        live_items=waiting["items"],
        oldest_age_seconds=(now() - oldest).total_seconds() if oldest else 0.0,
        arrivals=tuple(sorted(arrivals)),
    )


def gpu_tick_run() -> TickReport | None:
    """One lifecycle tick with the current backlog; None when another tick is running."""
    classifier = pipeline_settings().classifier_engine
    companions = () if classifier == RULES else (classifier,)
    return lifecycle_tick(loads=build_loads(), companions=companions)
