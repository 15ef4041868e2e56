"""Maps an engine id to the engine that drafts for it."""

from engines.base import DraftEngine, EngineError
from engines.holds import HoldReason
from engines.ids import parse_engine_id
from engines.template import TemplateEngine


def engine_for(engine_id: str) -> DraftEngine:
    """The engine for ``engine_id``; ``EngineError`` when none can draft for it."""
    parsed = parse_engine_id(engine_id)
    if parsed.is_template:
        return TemplateEngine()
    raise EngineError(
        HoldReason.ENGINE_UNAVAILABLE,
        f"No model engine is available for '{engine_id}' yet (#4 adds the GPU engine).",
        permanent=False,
    )
