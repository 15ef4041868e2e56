"""The playground: any text through the pipeline's own steps (classify, decide, Gate-2,
draft, reply gate) on a build the user may use, on the worker, each stage kept for the
page. No thread, decision or draft is written, so nothing it makes can be sent.

The stages call the functions live drafting calls; what differs is only where the
situation comes from (chosen on the page, not a thread's) and that nothing is recorded.
"""

from django.conf import settings
from django.db import transaction

from builder.resolve import Situation, resolve_workflow
from core.clock import now
from core.untrusted import strip_invisible
from engines.base import EngineError, Turn
from engines.gate import reply_gate
from engines.ids import parse_engine_id
from engines.registry import engine_for
from engines.selectors import selectable_engine_ids
from prospects.deciding import decision_gate
from prospects.deciding.classify import classify_with_head
from prospects.deciding.next_action import decide_next_action, travel_viable
from prospects.drafting.pipeline import gate_limits, request_for
from prospects.enqueue import playground_later
from prospects.jobs.preview import can_run_on_model
from prospects.models import PlaygroundRun
from prospects.selectors import pipeline_settings

# The playground's stand-in for a thread handle: shown to the model as any handle is.
HANDLE = "playground"


def playground_engine_ids() -> list[str]:
    """The builds a run may use: the template engine, and every build that can draft on a
    model now."""
    return [
        engine_id
        for engine_id in selectable_engine_ids()
        if parse_engine_id(engine_id).is_template or can_run_on_model(engine_id)
    ]


def playground_run_request(
    *, text: str, engine_id: str, thread_state: str, archetype: str, user=None
) -> PlaygroundRun:
    """Records a `queued` run and enqueues it once the row commits (the text goes to the
    worker; no model is called here).

    Raises ``ValueError`` when the build cannot draft now.
    """
    if engine_id not in playground_engine_ids():
        raise ValueError(f"{engine_id} cannot draft now: pick another build.")
    with transaction.atomic():
        run = PlaygroundRun.objects.create(
            text=text,
            engine_id=engine_id,
            thread_state=thread_state,
            archetype=archetype,
            requested_by=user,
        )
        transaction.on_commit(lambda: playground_later(run.id))
    return run


def playground_run_execute(*, run_id) -> PlaygroundRun:
    """Runs a queued run's stages (on the worker). Safe to deliver twice: only the
    delivery that moves the row from `queued` to `running` runs them."""
    claimed = PlaygroundRun.objects.filter(id=run_id, status=PlaygroundRun.Status.QUEUED).update(
        status=PlaygroundRun.Status.RUNNING, started_at=now()
    )
    run = PlaygroundRun.objects.get(id=run_id)
    if claimed != 1:
        return run
    stages: list[dict] = []
    try:
        body, error = _stages(run, stages)
    except Exception as problem:
        # Recorded so the page stops waiting, then raised for the worker's log.
        _finish(run, stages=stages, body="", error=f"Unexpected error: {problem!r}", failed=True)
        raise
    return _finish(run, stages=stages, body=body, error=error, failed=False)


def _stages(run: PlaygroundRun, stages: list[dict]) -> tuple[str, str]:
    """Appends each stage to ``stages``; returns the reply and why there is none."""
    cleaned = strip_invisible(run.text)
    stages.append({"stage": "normalise", "text": cleaned.text, "removed": cleaned.removed})

    classifier = pipeline_settings().classifier_engine
    reading = classify_with_head(cleaned.text, thread_state=run.thread_state, classifier=classifier)
    stages.append(
        {
            "stage": "classify",
            "move": reading.move,
            "trace": reading.trace,
            "classified_by": reading.classified_by,
            "confidence": reading.confidence,
            "problem": reading.problem,
        }
    )

    action = decide_next_action(
        move=reading.move, state=run.thread_state, viable=travel_viable(cleaned.text)
    )
    stages.append(
        {
            "stage": "decide",
            "template_key": action.template_key or "",
            "next_state": action.next_state,
        }
    )

    gate2 = decision_gate.evaluate(
        body=cleaned.text,
        move=reading.move,
        thread_state=run.thread_state,
        sends_today=0,
        max_sends_per_day=settings.GATE2_MAX_SENDS_PER_DAY,
    )
    stages.append({"stage": "gate2", "gate2_results": gate2.results, "failed": gate2.failed_rules})

    if not action.drafts_reply:
        return "", "The pipeline writes no reply to this message."
    return _draft(run, stages, text=cleaned.text, move=reading.move, key=action.template_key)


def _draft(run: PlaygroundRun, stages: list[dict], *, text: str, move: str, key: str):
    situation = Situation(archetype=run.archetype, state=run.thread_state, template_key=key)
    version = resolve_workflow(situation)
    model = not parse_engine_id(run.engine_id).is_template
    if model and version is None:
        return "", "No published workflow fits this situation, so a model build has no chain."
    request = request_for(
        template_key=key,
        body=text,
        handle=HANDLE,
        archetype=run.archetype,
        state=run.thread_state,
        move=move,
        history=(Turn(sender=HANDLE, body=text),),
        version=version if model else None,
    )
    try:
        result = engine_for(run.engine_id).draft(request)
    except EngineError as problem:
        stages.append({"stage": "draft", "steps": problem.steps, "workflow": _label(request)})
        return "", f"{problem.reason.label}: {problem.detail}"
    stages.append({"stage": "draft", "steps": result.steps, "workflow": _label(request)})
    max_chars, fragments = gate_limits(request)
    verdict = reply_gate.check(result.body, max_chars=max_chars, prompt_fragments=fragments)
    stages.append({"stage": "reply_gate", "failed": verdict.as_json()["failed"]})
    return result.body, ""


def _label(request) -> str:
    return request.workflow.label if request.workflow else ""


def _finish(
    run: PlaygroundRun, *, stages: list, body: str, error: str, failed: bool
) -> PlaygroundRun:
    """``error`` says why there is no reply; ``failed`` that the run itself broke (a held
    draft is a run done: the pipeline would have held it too)."""
    run.stages = stages
    run.body = body
    run.error = error
    run.status = PlaygroundRun.Status.FAILED if failed else PlaygroundRun.Status.DONE
    run.finished_at = now()
    run.save(update_fields=["stages", "body", "error", "status", "finished_at"])
    return run
