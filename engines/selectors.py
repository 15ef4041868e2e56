from dataclasses import dataclass
from datetime import datetime

import redis

from engines.breaker import breaker_admits, breaker_down_since, breaker_state
from engines.clock import now
from engines.gpu_costs import month_start, spent_between, today_start
from engines.gpu_lifecycle import BuildLoad, hold_warm_until, plan_build
from engines.holds import WaitReason
from engines.ids import TEMPLATE_ENGINE_ID, InvalidEngineId, Provider, parse_engine_id
from engines.models import (
    AdapterHead,
    EngineBuild,
    GpuInstance,
    GpuOperatorAction,
    GpuPolicySettings,
    GpuTransition,
    ModelCall,
)
from engines.registry import endpoint_for


def engine_is_registered(engine_id: str) -> bool:
    """The template engine is always known; model builds must be in the registry."""
    return (
        engine_id == TEMPLATE_ENGINE_ID or EngineBuild.objects.filter(engine_id=engine_id).exists()
    )


def engine_id_problem(engine_id: str) -> str | None:
    """Why ``engine_id`` cannot be used (malformed, or a build missing from the registry)."""
    try:
        parse_engine_id(engine_id)
    except InvalidEngineId as error:
        return str(error)
    if not engine_is_registered(engine_id):
        return f"'{engine_id}' is not in the engine-build registry."
    return None


@dataclass(frozen=True)
class EngineWait:
    """Why an engine cannot draft now, and since when (None where nobody knows)."""

    reason: WaitReason
    detail: str
    since: datetime | None = None


def engine_wait(engine_id: str) -> EngineWait | None:
    """Why the engine cannot draft now; None when it can: the template engine always, a
    model build when an endpoint serves it and its breaker admits calls."""
    parsed = parse_engine_id(engine_id)
    if parsed.is_template:
        return None
    endpoint = endpoint_for(engine_id)
    if endpoint is None and parsed.provider == Provider.DO_GPU:
        return _gpu_wait(engine_id)
    if endpoint is None:
        return EngineWait(
            WaitReason.ENGINE_NOT_READY,
            f"No endpoint serves '{engine_id}': set its endpoint URL and served model, "
            "or GPU_INFERENCE_URL and GPU_LLM_MODEL.",
        )
    url = endpoint.url.rstrip("/")
    if breaker_admits(url):
        return None
    since = breaker_down_since(url)
    return EngineWait(
        WaitReason.BREAKER_OPEN,
        f"{url} failed its last calls; its breaker is open"
        + (f" since {since:%Y-%m-%d %H:%M:%S} UTC." if since else "."),
        since,
    )


def _gpu_wait(engine_id: str) -> EngineWait:
    """An on-demand build with no ready machine: one is starting, or none is yet."""
    starting = (
        GpuInstance.objects.serving()
        .filter(
            engine_id=engine_id,
            state__in=[GpuInstance.State.PROVISIONING, GpuInstance.State.BOOTING],
        )
        .order_by("created_at")
        .first()
    )
    if starting is None:
        return EngineWait(
            WaitReason.ENGINE_NOT_READY,
            f"No GPU machine serves '{engine_id}' yet; the lifecycle starts one for waiting work.",
        )
    return EngineWait(
        WaitReason.BOOTING,
        f"The GPU machine for '{engine_id}' is {starting.get_state_display().lower()}, "
        f"since {starting.created_at:%Y-%m-%d %H:%M:%S} UTC.",
        starting.created_at,
    )


def engine_ready(engine_id: str) -> bool:
    return engine_wait(engine_id) is None


def selectable_engine_ids() -> list[str]:
    """The engines that can draft: the template engine and every drafter build."""
    drafters = EngineBuild.objects.exclude(head=AdapterHead.CLASSIFIER)
    return [TEMPLATE_ENGINE_ID, *drafters.values_list("engine_id", flat=True)]


def gpu_drafter_ids() -> list[str]:
    """The drafter builds served from an on-demand GPU: the ones the lifecycle manages."""
    return sorted(
        engine_id
        for engine_id in selectable_engine_ids()
        if parse_engine_id(engine_id).provider == Provider.DO_GPU
    )


def classifier_build_ids() -> list[str]:
    classifiers = EngineBuild.objects.filter(head=AdapterHead.CLASSIFIER)
    return list(classifiers.values_list("engine_id", flat=True))


def model_endpoints() -> list[dict]:
    """Each configured model endpoint with its breaker state and last activity, for the panel."""
    endpoints = {}
    for engine_id in EngineBuild.objects.values_list("engine_id", flat=True):
        endpoint = endpoint_for(engine_id)
        if endpoint is not None:
            endpoints.setdefault(endpoint.url, []).append(engine_id)
    rows = []
    for url, engine_ids in endpoints.items():
        last = ModelCall.objects.filter(endpoint=url.rstrip("/")).first()
        try:
            state = breaker_state(url.rstrip("/"))
        except redis.RedisError:
            state = "unknown"
        rows.append({"url": url, "engine_ids": engine_ids, "breaker": state, "last_call": last})
    return rows


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
