"""Workflow preview on a real thread: the engine production would use and why, what each
step would send, the template output, and the chain run on the model by the worker.

The engine comes from ``prospects.deciding.routing``, the rule the pipeline drafts with, so the
preview never runs a thread on an engine production would not.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from builder.models import WorkflowVersion
from builder.resolve import Situation
from core.clock import now
from engines.base import EngineError
from engines.chain import StepPrompt, preview_prompts
from engines.gate import reply_gate
from engines.gpu.lifecycle import policy_settings
from engines.gpu.selectors import BootOffer, boot_offer
from engines.gpu.services import gpu_hold_warm
from engines.ids import parse_engine_id
from engines.registry import endpoint_for, engine_for
from engines.template import TemplateEngine
from prospects.deciding.routing import Route, route_for
from prospects.drafting.pipeline import draft_request
from prospects.enqueue import preview_later
from prospects.models import Decision, Thread, WorkflowPreviewRun
from prospects.selectors import pipeline_settings

# A machine started for a preview stays up this long, for the next versions tried on it.
PREVIEW_HOLD_MINUTES = 15
# A run waiting for a machine gives up once a boot has had this long (the boot timeout's
# margin: the tick that notices a failed boot).
BOOT_WAIT_MARGIN = timedelta(minutes=2)


@dataclass(frozen=True)
class Preview:
    thread: Thread
    decision: Decision
    route: Route
    prompts: list[StepPrompt]
    template_body: str
    template_error: str
    gate_failed: list[str]

    @property
    def template_key(self) -> str:
        return self.decision.template_key

    @property
    def on_template_engine(self) -> bool:
        return parse_engine_id(self.route.engine_id).is_template

    @property
    def can_run_on_model(self) -> bool:
        return can_run_on_model(self.route.engine_id)

    @property
    def boot_offer(self) -> BootOffer | None:
        """What starting a machine for a cold GPU build would cost, to run the chain."""
        if self.can_run_on_model:
            return None
        return boot_offer(self.route.engine_id, PREVIEW_HOLD_MINUTES)


def can_run_on_model(engine_id: str) -> bool:
    """A model engine with an endpoint to call now (the template engine runs no chain)."""
    return not parse_engine_id(engine_id).is_template and endpoint_for(engine_id) is not None


def previewed_decision(thread: Thread) -> Decision | None:
    """The thread's latest decision with a reply to draft."""
    return thread.decisions.exclude(template_key="").select_related("message", "thread").first()


def preview_route(decision: Decision) -> Route:
    """The engine production drafts this decision's thread with: the same rule, the same
    situation (the thread's state when the message arrived)."""
    situation = Situation(
        archetype=decision.archetype, state=decision.state, template_key=decision.template_key
    )
    return route_for(
        situation, str(decision.thread_id), draft_engine=pipeline_settings().draft_engine
    )


def preview_build(*, version: WorkflowVersion, thread: Thread) -> Preview | None:
    """None when the thread has no decision with a reply to draft. Calls no model: the
    template engine and the prompts are computed here, the chain runs on the worker."""
    decision = previewed_decision(thread)
    if decision is None:
        return None
    route = preview_route(decision)
    try:
        request = draft_request(decision, version=version)
    except LookupError as problem:
        return Preview(thread, decision, route, [], "", str(problem), [])
    body, error = "", ""
    try:
        body = TemplateEngine().draft(request).body
    except EngineError as problem:
        error = f"{problem.reason}: {problem.detail}"
    verdict = reply_gate.check(body, max_chars=request.workflow.max_chars) if body else None
    return Preview(
        thread=thread,
        decision=decision,
        route=route,
        prompts=preview_prompts(request),
        template_body=body,
        template_error=error,
        gate_failed=verdict.as_json()["failed"] if verdict else [],
    )


def preview_run_request(
    *, version: WorkflowVersion, thread: Thread, user=None, start_machine: bool = False
) -> WorkflowPreviewRun:
    """Records a `queued` run of the version's chain on the engine the rule picks for the
    thread, and enqueues it once the row commits. With ``start_machine``, a cold GPU build
    is held warm for ``PREVIEW_HOLD_MINUTES`` (recorded as the user's hold, so the next
    tick starts a machine) and the run waits for it on the worker.

    Raises ``ValueError`` when the thread has nothing to draft or that engine runs no
    chain (the template engine, a build with no endpoint now that no machine is started
    for, or one that cannot start one).
    """
    decision = previewed_decision(thread)
    if decision is None:
        raise ValueError("That thread has no decision with a reply to draft.")
    engine_id = preview_route(decision).engine_id
    startable = boot_offer(engine_id, PREVIEW_HOLD_MINUTES) is not None
    if not can_run_on_model(engine_id) and not (start_machine and startable):
        raise ValueError(f"{engine_id} runs no chain on a model now.")
    with transaction.atomic():
        if start_machine and startable:
            gpu_hold_warm(engine_id=engine_id, minutes=PREVIEW_HOLD_MINUTES, user=user)
        run = WorkflowPreviewRun.objects.create(
            version=version,
            thread=thread,
            decision=decision,
            engine_id=engine_id,
            requested_by=user,
        )
        transaction.on_commit(lambda: preview_later(run.id))
    return run


def preview_run_execute(*, run_id) -> WorkflowPreviewRun:
    """Runs a queued preview run's chain (on the worker) and stores its steps, or the
    engine's reason and detail when it fails.

    Safe to deliver twice: only the delivery that moves the row from `queued` to
    `running` calls the model. The model call holds no transaction. A run whose engine has
    no endpoint yet (a machine started for it is booting) stays `queued` for the caller to
    try again, until a boot has had its time.
    """
    run = WorkflowPreviewRun.objects.get(id=run_id)
    if run.status == WorkflowPreviewRun.Status.QUEUED and not can_run_on_model(run.engine_id):
        if now() - run.created_at < boot_wait():
            return run
        return _finish(
            run,
            steps=[],
            error=f"No machine for {run.engine_id} came up within "
            f"{boot_wait().total_seconds() / 60:.0f} minutes; the GPU page says why.",
        )
    claimed = WorkflowPreviewRun.objects.filter(
        id=run_id, status=WorkflowPreviewRun.Status.QUEUED
    ).update(status=WorkflowPreviewRun.Status.RUNNING, started_at=now())
    run = WorkflowPreviewRun.objects.select_related("version__workflow", "decision").get(id=run_id)
    if claimed != 1:
        return run  # another delivery ran it, or is running it
    try:
        request = draft_request(run.decision, version=run.version)
        steps, error = engine_for(run.engine_id).draft(request).steps, ""
    except EngineError as problem:
        steps, error = problem.steps, f"{problem.reason}: {problem.detail}"
    except LookupError as problem:  # a pinned snippet version is gone
        steps, error = [], str(problem)
    except Exception as problem:
        # Recorded so the page stops waiting, then raised for the worker's log.
        _finish(run, steps=[], error=f"unexpected error: {problem!r}")
        raise
    return _finish(run, steps=steps, error=error)


def boot_wait() -> timedelta:
    return timedelta(seconds=policy_settings().boot_timeout_seconds) + BOOT_WAIT_MARGIN


def _finish(run: WorkflowPreviewRun, *, steps: list, error: str) -> WorkflowPreviewRun:
    run.steps = steps
    run.error = error
    run.status = WorkflowPreviewRun.Status.FAILED if error else WorkflowPreviewRun.Status.DONE
    run.finished_at = now()
    run.save(update_fields=["steps", "error", "status", "finished_at"])
    return run
