from time import perf_counter

from engines.base import DraftEngine, DraftRequest, DraftResult, EngineError
from engines.holds import HoldReason
from engines.ids import TEMPLATE_ENGINE_ID


class TemplateEngine(DraftEngine):
    """Renders canon[templateKey] directly: no LLM, always available."""

    engine_id = TEMPLATE_ENGINE_ID

    def draft(self, request: DraftRequest) -> DraftResult:
        started = perf_counter()
        if request.canon_text is None:
            raise EngineError(
                HoldReason.UNKNOWN_TEMPLATE_KEY,
                f"No canon entry for template key '{request.template_key}'.",
                permanent=True,
            )
        body = request.canon_text.strip()
        if not body:
            raise EngineError(
                HoldReason.EMPTY_CANON,
                f"The canon entry for '{request.template_key}' is empty.",
                permanent=True,
            )
        return DraftResult(
            body=body,
            engine_id=self.engine_id,
            latency_ms=round((perf_counter() - started) * 1000),
        )
