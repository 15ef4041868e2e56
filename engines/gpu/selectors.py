from core.clock import now
from engines.gpu.costs import month_start, spent_between, today_start
from engines.gpu.lifecycle import BuildLoad, hold_warm_until, plan_build
from engines.ids import Provider, parse_engine_id
from engines.models.gpu import GpuInstance, GpuOperatorAction, GpuPolicySettings, GpuTransition
from engines.selectors import selectable_engine_ids


def gpu_drafter_ids() -> list[str]:
    """The drafter builds served from an on-demand GPU: the ones the lifecycle manages."""
    return sorted(
        engine_id
        for engine_id in selectable_engine_ids()
        if parse_engine_id(engine_id).provider == Provider.DO_GPU
    )


def gpu_builds(loads: dict) -> list[dict]:
    """Per do-gpu build: its instances, the backlog the caller hands in, the idle grace the
    policy would use now, the admin's hold, and what it cost today and this month."""
    moment = now()
    engine_ids = set(gpu_drafter_ids()) | set(
        GpuInstance.objects.serving()
        .filter(state__in=GpuInstance.LIVE)
        .values_list("engine_id", flat=True)
    )
    rows = []
    for engine_id in sorted(engine_ids):
        load = loads.get(engine_id) or BuildLoad()
        live = list(
            GpuInstance.objects.serving().filter(engine_id=engine_id, state__in=GpuInstance.LIVE)
        )
        rows.append(
            {
                "engine_id": engine_id,
                "state": live[0].state if live else GpuInstance.State.OFF,
                "instances": live,
                "backlog": load.items,
                "live_backlog": load.live_items,
                "batch_backlog": load.items - load.live_items,
                "oldest_age_seconds": round(load.oldest_age_seconds),
                "idle_grace_seconds": round(plan_build(engine_id, load).grace_seconds),
                "hold_warm_until": hold_warm_until(engine_id),
                "spent_today": spent_between(today_start(moment), moment, engine_id),
                "spent_month": spent_between(month_start(moment), moment, engine_id),
                "cold_starts_today": GpuInstance.objects.filter(
                    engine_id=engine_id, created_at__gte=today_start(moment)
                ).count(),
            }
        )
    return rows


def gpu_spend() -> dict:
    moment = now()
    return {
        "today": spent_between(today_start(moment), moment),
        "month": spent_between(month_start(moment), moment),
        "cold_starts_today": GpuInstance.objects.filter(
            created_at__gte=today_start(moment)
        ).count(),
    }


def gpu_timeline(limit: int = 50):
    return GpuTransition.objects.select_related("instance")[:limit]


def gpu_operator_actions(limit: int = 20):
    return GpuOperatorAction.objects.select_related("by")[:limit]


def gpu_policy_history(limit: int = 20):
    return GpuPolicySettings.history.select_related("history_user")[:limit]
