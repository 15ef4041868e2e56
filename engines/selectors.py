from engines.ids import TEMPLATE_ENGINE_ID, InvalidEngineId, parse_engine_id
from engines.models import EngineBuild


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


def selectable_engine_ids() -> list[str]:
    return [TEMPLATE_ENGINE_ID, *EngineBuild.objects.values_list("engine_id", flat=True)]
