"""Workflow preview on a real thread: what each step would send, and the template output."""

from dataclasses import dataclass, field

from builder.models import WorkflowVersion
from engines import gate
from engines.base import EngineError
from engines.chain import StepPrompt, preview_prompts
from engines.ids import parse_engine_id
from engines.registry import endpoint_for, engine_for
from engines.template import TemplateEngine
from prospects.models import Thread
from prospects.pipeline import draft_request


@dataclass(frozen=True)
class Preview:
    thread: Thread
    template_key: str
    prompts: list[StepPrompt]
    template_body: str
    template_error: str
    gate_failed: list[str]
    model_steps: list[dict] = field(default_factory=list)
    model_error: str = ""


def can_run_on_model(version: WorkflowVersion) -> bool:
    return (
        not parse_engine_id(version.engine).is_template and endpoint_for(version.engine) is not None
    )


def preview_build(
    *, version: WorkflowVersion, thread: Thread, on_model: bool = False
) -> Preview | None:
    """None when the thread has no decision with a reply to draft.

    ``on_model`` also runs the real chain on the version's engine (seconds per step).
    """
    decision = thread.decisions.exclude(template_key="").select_related("message", "thread").first()
    if decision is None:
        return None
    try:
        request = draft_request(decision, version=version)
    except LookupError as problem:
        return Preview(thread, decision.template_key, [], "", str(problem), [])
    body, error = "", ""
    try:
        body = TemplateEngine().draft(request).body
    except EngineError as problem:
        error = f"{problem.reason}: {problem.detail}"
    verdict = gate.check(body, max_chars=request.workflow.max_chars) if body else None
    model_steps, model_error = [], ""
    if on_model and can_run_on_model(version):
        try:
            model_steps = engine_for(version.engine).draft(request).steps
        except EngineError as problem:
            model_steps, model_error = problem.steps, f"{problem.reason}: {problem.detail}"
    return Preview(
        thread=thread,
        template_key=decision.template_key,
        prompts=preview_prompts(request),
        template_body=body,
        template_error=error,
        gate_failed=verdict.as_json()["failed"] if verdict else [],
        model_steps=model_steps,
        model_error=model_error,
    )
