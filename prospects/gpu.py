"""What the GPU lifecycle needs from the jobs, handed down to ``engines`` as plain data."""

from engines.clock import now
from engines.gpu_lifecycle import ARRIVAL_HISTORY, BuildLoad, TickReport, lifecycle_tick
from prospects.jobs import backlog
from prospects.models import DraftJobItem


def build_loads() -> dict[str, BuildLoad]:
    """Per engine: items waiting, the oldest one's age, and when jobs arrived lately."""
    since = now() - ARRIVAL_HISTORY
    arrivals: dict[str, set] = {}
    recent = (
        DraftJobItem.objects.filter(job__created_at__gte=since)
        .values_list("engine_id", "job__created_at")
        .distinct()
    )
    for engine_id, created_at in recent:
        arrivals.setdefault(engine_id, set()).add(created_at)
    engines = {row["engine_id"]: row for row in backlog()}
    return {
        engine_id: BuildLoad(
            items=engines.get(engine_id, {}).get("items", 0),
            oldest_age_seconds=engines.get(engine_id, {}).get("oldest_age_seconds", 0),
            arrivals=tuple(sorted(arrivals.get(engine_id, ()))),
        )
        for engine_id in set(engines) | set(arrivals)
    }


def gpu_tick_run() -> TickReport | None:
    """One lifecycle tick with the current backlog; None when another tick is running."""
    return lifecycle_tick(loads=build_loads())
