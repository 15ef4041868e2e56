"""Drafting one decision on the worker: classify (a classifier build), request, engine, chain,
reply gate, disposition, record.

Every row is committed before any side effect; the engine runs outside database
transactions; anything that yields no usable body holds the draft with a reason."""

from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db import transaction

from builder.selectors import canon_text
from builder.spec import workflow_spec
from engines.base import DraftRequest, DraftResult, EngineError, Turn
from engines.chain import leak_fragments
from engines.classifier import classify_move
from engines.gate import reply_gate
from engines.holds import HoldReason
from engines.ids import TEMPLATE_ENGINE_ID, parse_engine_id
from engines.registry import engine_for
from prospects.deciding import decision_gate
from prospects.deciding.classify import Classification, runs_at_ingest
from prospects.deciding.decide import decision_decide, send_mode_now
from prospects.deciding.safety_memory import remembered_safety
from prospects.drafting.pace import send_schedule
from prospects.drafting.retrieval import similar_corrections
from prospects.events.services import draft_event_emit
from prospects.experiments.guardrails import guard_arm
from prospects.models import (
    RULES,
    Decision,
    Draft,
    Mode,
    Thread,
    WithoutWorkflow,
)
from prospects.selectors import pipeline_settings


def classifies_on_worker(decision: Decision, *, classifier: str) -> bool:
    """Whether the worker asks ``classifier``, the live classifier, about ``decision``
    before drafting it: the rules decided it at ingest, and it could not answer there."""
    return decision.classified_by == RULES and not runs_at_ingest(classifier)


def decision_classify_on_worker(decision: Decision) -> Decision:
    """Asks the live classifier build about a decision the rules made at ingest (the
    worker's first step for a live message). A valid answer re-decides the message in the
    state it arrived in; no answer keeps the rules' decision, with the reason beside it.
    Safe to repeat: a decision a classifier build already made is left alone, and so is
    one the live classifier could make at ingest (the rules, an in-process head: it
    decided there, or its reason for not answering is on the decision already)."""
    classifier = pipeline_settings().classifier_engine
    if not classifies_on_worker(decision, classifier=classifier):
        return decision
    outcome = classify_move(decision.message.body, classifier)
    if outcome.answer is None:
        Decision.objects.filter(id=decision.id).update(classifier_problem=outcome.problem)
        return decision
    answer = outcome.answer
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(id=decision.thread_id)
        decision = Decision.objects.select_for_update().get(id=decision.id)
        if decision.classified_by != RULES:
            return decision
        decision.thread = thread
        next_state = decision_decide(decision, Classification.of_head(answer, classifier))
        decision.save()
        # Only the thread's latest message moves its state on.
        if not thread.decisions.filter(created_at__gt=decision.created_at).exists():
            Thread.objects.filter(id=thread.id).update(state=next_state)
    return decision


@dataclass(frozen=True)
class _Disposition:
    status: Draft.Status
    hold_reason: str = ""
    hold_detail: str = ""


def _disposition(
    decision: Decision, *, engine_error: EngineError | None, verdict: reply_gate.GateVerdict | None
) -> _Disposition:
    """The first reason to hold wins, in the order of the pipeline."""
    held = Draft.Status.HELD
    if engine_error is not None:
        return _Disposition(held, engine_error.reason, engine_error.detail)
    if not verdict.ok:
        return _Disposition(
            held, HoldReason.GATE_FAILED, "Failed rules: " + ", ".join(verdict.as_json()["failed"])
        )
    failed_gate2 = [
        f"{result['rule']} ({result['detail']})"
        for result in decision.gate2_results
        if not result["passed"]
    ]
    remembered_now = remembered_safety(decision.thread_id, besides_message_id=decision.message_id)
    if remembered_now and not any(
        result["rule"] == decision_gate.Gate2Rule.SAFETY_MEMORY and not result["passed"]
        for result in decision.gate2_results
    ):
        # A later message of the thread tripped a safety rule since this one was decided.
        failed_gate2.append(f"{decision_gate.Gate2Rule.SAFETY_MEMORY} ({remembered_now})")
    if failed_gate2:
        return _Disposition(held, HoldReason.GATE2, "Gate-2 rules: " + "; ".join(failed_gate2))
    threshold = pipeline_settings().uncertain_move_threshold
    if decision.confidence is not None and decision.confidence < threshold:
        return _Disposition(
            held,
            HoldReason.UNCERTAIN_MOVE,
            f"The classifier was {decision.confidence:.0%} sure of '{decision.move}'; "
            f"drafts under {threshold:.0%} are reviewed.",
        )
    if send_mode_now(decision) == Mode.REVIEW:
        return _Disposition(held, HoldReason.REVIEW_MODE, "Every draft for this key is reviewed.")
    if not settings.BRIDGE_WEBHOOK_URL:
        return _Disposition(held, HoldReason.NO_BRIDGE, "BRIDGE_WEBHOOK_URL is not set.")
    return _Disposition(Draft.Status.APPROVED)


HISTORY_TURNS = 10


def draft_request(decision: Decision, *, version=None, canon: dict | None = None) -> DraftRequest:
    """What the engine gets for a decision; ``version`` overrides the resolved workflow and
    ``canon`` (template key -> text, from ``canon_texts``) spares a batch the look-up per
    draft."""
    version = version or decision.workflow_version
    recent = decision.thread.messages.filter(received_at__lte=decision.message.received_at)
    turns = reversed(recent.order_by("-received_at")[:HISTORY_TURNS])
    return request_for(
        template_key=decision.template_key,
        body=decision.message.body,
        handle=decision.thread.handle,
        archetype=decision.archetype,
        state=decision.state,
        move=decision.move,
        history=tuple(Turn(sender=m.sender, body=m.body) for m in turns),
        version=version,
        canon=canon,
    )


def request_for(
    *,
    template_key: str,
    body: str,
    handle: str,
    archetype: str,
    state: str,
    move: str,
    history: tuple[Turn, ...],
    version=None,
    canon: dict | None = None,
) -> DraftRequest:
    """The request for a reply to ``body`` in a thread that need not exist (the
    playground's text has none)."""
    spec = workflow_spec(version) if version else None
    return DraftRequest(
        template_key=template_key,
        canon_text=canon.get(template_key) if canon is not None else canon_text(template_key),
        max_chars=settings.DRAFT_MAX_CHARS,
        inbound_body=body,
        thread_handle=handle,
        archetype=archetype,
        state=state,
        move=move,
        history=history,
        workflow=spec,
        exemplars=(
            similar_corrections(
                template_key=template_key, message=body, workflow_id=version.workflow_id
            )
            if spec and spec.retrieval
            else ()
        ),
    )


def _engine_for(decision: Decision, engine_id: str, version) -> str:
    """The engine that drafts: ``engine_id``, unless a model engine has no workflow to run.

    Raises ``EngineError`` (``no_workflow``) when settings say to hold in that case.
    """
    if parse_engine_id(engine_id).is_template or version:
        return engine_id
    if pipeline_settings().without_workflow == WithoutWorkflow.TEMPLATE:
        return TEMPLATE_ENGINE_ID
    raise EngineError(
        HoldReason.NO_WORKFLOW,
        f"No published workflow for ({decision.archetype}, {decision.state}, "
        f"{decision.template_key}).",
        permanent=True,
    )


@dataclass(frozen=True)
class _Drafted:
    engine_id: str  # the build whose body the draft holds, credited with it
    result: DraftResult | None
    error: EngineError | None
    verdict: reply_gate.GateVerdict | None  # None when the engine yielded nothing to check
    workflow_version: object = None  # the WorkflowVersion a model engine ran, if any
    retrieved: list = field(default_factory=list)  # ids of corrections in the prompt
    escalation: dict = field(default_factory=dict)  # see Draft.escalation


def _run_engine(decision: Decision, engine_id: str, version, canon: dict | None) -> _Drafted:
    """Drafts, gates, and on a gate failure gives the escalation build its one try.

    The workflow version is credited whenever a model engine started running it, failed
    runs included: hold rates per version count those.
    """
    ran, retrieved = None, []
    try:
        engine_id = _engine_for(decision, engine_id, version)
        engine = engine_for(engine_id)
        request = _request_or_hold(
            decision, version, canon, uses_workflow=not parse_engine_id(engine_id).is_template
        )
        ran = version if request.workflow else None
        retrieved = [exemplar.ref for exemplar in request.exemplars]
        result = engine.draft(request)
    except EngineError as error:
        return _Drafted(engine_id, None, error, None, ran, retrieved)
    verdict = _gate(request, result)
    drafted = _Drafted(engine_id, result, None, verdict, ran, retrieved)
    escalation_id = pipeline_settings().escalation_engine
    # The template engine runs no workflow for another build to take over, and a build
    # that is the escalation build (an arm's, a job's) has no other to escalate to.
    if verdict.ok or not request.workflow or escalation_id in ("", engine_id):
        return drafted
    return _escalate(drafted, request, escalation_id)


def gate_limits(request: DraftRequest) -> tuple[int, tuple[str, ...]]:
    """What the gate holds a reply to: the workflow's maxChars, and no prompt text."""
    fragments = leak_fragments(request) if request.workflow else ()
    return request.reply_max_chars, fragments


def _gate(request: DraftRequest, result: DraftResult) -> reply_gate.GateVerdict:
    max_chars, fragments = gate_limits(request)
    return reply_gate.check(result.body, max_chars=max_chars, prompt_fragments=fragments)


def _escalate(refused: _Drafted, request: DraftRequest, escalation_id: str) -> _Drafted:
    """The escalation build runs the whole workflow again, so every step of a body it
    writes is its own and the draft credits it. Whichever attempt does not become the body
    is kept in ``escalation``; an escalation build that yields nothing holds the refused
    draft with its failure's reason, as any engine failure does."""
    try:
        retry = engine_for(escalation_id).draft(request)
    except EngineError as error:
        failed = EngineError(
            error.reason,
            f"The escalation build {escalation_id} gave no draft: {error.detail} "
            f"(the draft of {refused.engine_id} failed rules: "
            f"{', '.join(refused.verdict.as_json()['failed'])}).",
            permanent=error.permanent,
            steps=refused.result.steps,
        )
        escalation = {
            "outcome": "error",
            "engine_id": escalation_id,
            "reason": error.reason,
            "detail": error.detail,
            "steps": error.steps,
        }
        return replace(refused, error=failed, escalation=escalation)
    retry_verdict = _gate(request, retry)
    if retry_verdict.ok:
        escalation = {
            "outcome": "passed",
            **_attempt(refused.engine_id, refused.result, refused.verdict),
        }
        return replace(
            refused,
            engine_id=escalation_id,
            result=retry,
            verdict=retry_verdict,
            escalation=escalation,
        )
    escalation = {"outcome": "gate_failed", **_attempt(escalation_id, retry, retry_verdict)}
    return replace(refused, escalation=escalation)


def _attempt(engine_id: str, result: DraftResult, verdict: reply_gate.GateVerdict) -> dict:
    return {
        "engine_id": engine_id,
        "body": result.body,
        "steps": result.steps,
        "gate_failed": verdict.as_json()["failed"],
    }


def _request_or_hold(decision: Decision, version, canon, *, uses_workflow: bool) -> DraftRequest:
    try:
        request = draft_request(decision, version=version, canon=canon)
    except LookupError as error:  # a pinned snippet version is gone
        raise EngineError(HoldReason.ENGINE_ERROR, str(error), permanent=True) from error
    return request if uses_workflow else replace(request, workflow=None)


def draft_for_decision(
    decision: Decision,
    *,
    engine_id: str = "",
    workflow_version=None,
    job_item=None,
    canon: dict | None = None,
) -> Draft:
    """Runs the engine (outside any transaction), gates the body and saves the draft.

    ``engine_id`` and ``workflow_version`` override the decision's (a drafting job's
    choice). ``job_item`` is linked in the draft's own insert, so a job item redelivered
    after a crash finds its draft instead of drafting twice. ``canon`` is the batch's
    canon texts (see ``draft_request``).

    The draft credits a workflow version only when a model engine ran it; the template
    engine renders canon and records none. An approved draft's dispatch, and the event a
    held draft makes for integrators, are enqueued only after its row commits.
    """
    engine_id = engine_id or decision.engine_id
    workflow_version = workflow_version or decision.workflow_version
    drafted = _run_engine(decision, engine_id, workflow_version, canon)
    # A redraft by another engine or workflow than the arm's is not the arm's outcome.
    arm = decision.experiment_arm
    if engine_id != decision.engine_id or workflow_version != decision.workflow_version:
        arm = ""
    result, error = drafted.result, drafted.error
    steps = result.steps if result else error.steps
    disposition = _disposition(decision, engine_error=error, verdict=drafted.verdict)
    with transaction.atomic():
        draft = draft_record(
            decision=decision,
            job_item=job_item,
            body=result.body if result else "",
            status=disposition.status,
            hold_reason=disposition.hold_reason,
            hold_detail=disposition.hold_detail,
            gate_failed=drafted.verdict.as_json()["failed"] if drafted.verdict else [],
            engine_id=drafted.engine_id,
            workflow_version=drafted.workflow_version,
            experiment_arm=arm,
            engine_latency_ms=result.latency_ms if result else 0,
            steps=steps,
            tokens_in=sum(step["tokens_in"] for step in steps),
            tokens_out=sum(step["tokens_out"] for step in steps),
            drafted_hold_reason=disposition.hold_reason,
            retrieved_corrections=drafted.retrieved,
            escalation=drafted.escalation,
        )
        if draft.status == Draft.Status.APPROVED:
            send_schedule(draft)
        draft_event_emit(draft)
    if draft.experiment_arm:
        guard_arm(draft.experiment_arm)
    return draft


def draft_record(*, decision: Decision, job_item=None, **fields) -> Draft:
    """Saves what drafting produced: into the item's `queued` placeholder when it is live
    work, else as a new draft linked to its item. Runs in the caller's transaction."""
    placeholder = (
        Draft.objects.select_for_update()
        .filter(job_item=job_item, status=Draft.Status.QUEUED)
        .first()
        if job_item is not None and job_item.job_id is None
        else None
    )
    if placeholder is None:
        return Draft.objects.create(
            decision=decision, thread=decision.thread, job_item=job_item, **fields
        )
    for name, value in fields.items():
        setattr(placeholder, name, value)
    placeholder.decision = decision
    placeholder.save()
    return placeholder
