from engines.ids import TEMPLATE_ENGINE_ID
from engines.models import EngineBuild


def engine_is_registered(engine_id: str) -> bool:
    """The template engine is always known; model builds must be in the registry."""
    return (
        engine_id == TEMPLATE_ENGINE_ID or EngineBuild.objects.filter(engine_id=engine_id).exists()
    )


def selectable_engine_ids() -> list[str]:
    return [TEMPLATE_ENGINE_ID, *EngineBuild.objects.values_list("engine_id", flat=True)]
