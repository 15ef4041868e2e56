from dataclasses import dataclass
from datetime import datetime

import redis
from django.conf import settings

from engines.breaker import breaker_admits, breaker_down_since, breaker_state
from engines.holds import WaitReason
from engines.ids import TEMPLATE_ENGINE_ID, InvalidEngineId, Provider, parse_engine_id
from engines.models import AdapterHead, EngineBuild, ModelCall
from engines.models.gpu import GpuInstance
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


def gpu_account_connected() -> bool:
    """Whether the GPU account (the cloud token, ``DO_TOKEN``) is set up: without it no
    on-demand GPU build ever gets a machine, and its work waits."""
    return bool(settings.DO_TOKEN)


def _gpu_wait(engine_id: str) -> EngineWait:
    """An on-demand build with no ready machine: none can start (no GPU account), one is
    starting, or none is yet."""
    if not gpu_account_connected():
        return EngineWait(
            WaitReason.ENGINE_NOT_READY,
            f"The GPU account is not connected, so no machine can start for '{engine_id}'.",
        )
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
