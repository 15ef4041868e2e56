import redis

from engines.breaker import breaker_admits, breaker_state
from engines.ids import TEMPLATE_ENGINE_ID, InvalidEngineId, parse_engine_id
from engines.models import EngineBuild, ModelCall
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


def engine_ready(engine_id: str) -> bool:
    """Whether the engine can draft now: the template engine always; a model build when
    an endpoint serves it and its breaker admits calls."""
    if parse_engine_id(engine_id).is_template:
        return True
    endpoint = endpoint_for(engine_id)
    return endpoint is not None and breaker_admits(endpoint.url.rstrip("/"))


def selectable_engine_ids() -> list[str]:
    return [TEMPLATE_ENGINE_ID, *EngineBuild.objects.values_list("engine_id", flat=True)]


def model_endpoints() -> list[dict]:
    """Each configured model endpoint with its breaker state and last activity, for the panel."""
    endpoints = {}
    for engine_id in selectable_engine_ids()[1:]:
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
