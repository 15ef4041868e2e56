"""The GPU draft engine: runs a workflow's steps as a chain on an OpenAI-compatible model."""

import math
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection

from core.untrusted import strip_invisible
from engines.base import DraftEngine, DraftRequest, DraftResult, EngineError, Step
from engines.chain import step_prompt
from engines.holds import HoldReason
from engines.inference import Failure, InferenceClient, InferenceError
from engines.model_tasks import DRAFT

# Reply characters per token on the served model's tokenizer (Gemma 3): the least of the
# five languages' coworker replies in tests/fixtures/tuning/, rounded down; the token
# budget test measures it again. A reply that fits its maxChars fits its tokens, and one
# that runs past them is cut off (held), never sent half-done.
REPLY_CHARS_PER_TOKEN = 3.0
# The end-of-turn token, and the end of a word that began inside the budget.
END_TOKENS = 4

HOLD_FOR_FAILURE = {
    Failure.BREAKER_OPEN: HoldReason.BREAKER_OPEN,
    Failure.TIMEOUT: HoldReason.ENGINE_TIMEOUT,
    Failure.MALFORMED: HoldReason.MALFORMED_OUTPUT,
    Failure.TRUNCATED: HoldReason.MALFORMED_OUTPUT,
}


def reply_token_budget(max_chars: int) -> int:
    """The tokens a reply of at most ``max_chars`` characters needs, and no more."""
    return math.ceil(max_chars / REPLY_CHARS_PER_TOKEN) + END_TOKENS


def max_tokens_for(step: Step) -> int:
    if step.kind == "draft":
        return reply_token_budget(step.max_chars or settings.DRAFT_MAX_CHARS)
    return settings.GPU_THINK_MAX_TOKENS


class ModelEngine(DraftEngine):
    def __init__(self, *, engine_id: str, client: InferenceClient, model: str):
        self.engine_id = engine_id
        self.client = client
        self.model = model

    def draft(self, request: DraftRequest) -> DraftResult:
        """Each think step's output joins the next step's prompt; the draft step is the body."""
        if request.workflow is None:
            raise EngineError(
                HoldReason.NO_WORKFLOW, "A model engine needs a workflow to run.", permanent=True
            )
        outputs: list[str] = []
        steps: list[dict] = []
        for index in range(len(request.workflow.steps)):
            steps.append(self._run_step(request, index, outputs, steps))
            outputs.append(steps[-1]["output"])
        return self._result(outputs[-1], steps)

    def _run_step(self, request, index, outputs, steps_so_far) -> dict:
        prompt = step_prompt(request, index, outputs)
        step = prompt.step
        try:
            result = self.client.chat(
                task=DRAFT,
                model=self.model,
                messages=list(prompt.messages),
                max_tokens=max_tokens_for(step),
                engine_id=self.engine_id,
                allow_truncated=step.kind == "think",
            )
        except InferenceError as error:
            raise EngineError(
                HOLD_FOR_FAILURE.get(error.failure, HoldReason.ENGINE_ERROR),
                f"step {index + 1} ({step.kind}): {error}",
                permanent=error.permanent,
                steps=[*steps_so_far, _failed_step(prompt, self.model)],
            ) from error
        except Exception as error:
            # The engine boundary: whatever else breaks (Redis behind the breaker, the
            # database behind the call log) holds this draft instead of failing the batch.
            raise EngineError(
                HoldReason.ENGINE_ERROR,
                f"step {index + 1} ({step.kind}): {type(error).__name__}: {error}",
                permanent=False,
                steps=[*steps_so_far, _failed_step(prompt, self.model)],
            ) from error
        return {
            "kind": step.kind,
            "model": result.model,
            "messages": list(prompt.messages),
            "output": strip_invisible(result.text).text.strip(),
            "tokens_in": result.prompt_tokens,
            "tokens_out": result.completion_tokens,
            "latency_ms": result.latency_ms,
            "finish_reason": result.finish_reason,
        }

    def _result(self, body: str, steps: list[dict]) -> DraftResult:
        return DraftResult(
            body=body,
            engine_id=self.engine_id,
            latency_ms=sum(step["latency_ms"] for step in steps),
            steps=steps,
            tokens_in=sum(step["tokens_in"] for step in steps),
            tokens_out=sum(step["tokens_out"] for step in steps),
        )


def _failed_step(prompt, model: str) -> dict:
    """The step that got no usable answer, with the prompt it sent: the reviewer sees what
    the model was asked."""
    return {
        "kind": prompt.step.kind,
        "model": model,
        "messages": list(prompt.messages),
        "output": "",
        "tokens_in": 0,
        "tokens_out": 0,
        "latency_ms": 0,
        "finish_reason": "error",
    }


def draft_batch(
    engine: DraftEngine, requests: list[DraftRequest], *, concurrency: int
) -> list[DraftResult | EngineError]:
    """Drafts concurrently (keeping the server's continuous batching busy), in input order.

    One draft's failure is returned in its place and never fails the batch.
    """

    def one(request: DraftRequest) -> DraftResult | EngineError:
        try:
            return engine.draft(request)
        except EngineError as error:
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(one, requests))
