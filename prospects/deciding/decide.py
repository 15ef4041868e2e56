"""Deciding a message: next action, Gate-2, send mode and route, from a classification.

The same at ingest (the rules, an in-process head) and on the worker (a classifier build),
so both read the message the same way."""

from django.conf import settings

from builder.resolve import Situation
from prospects.deciding import decision_gate
from prospects.deciding.classify import Classification
from prospects.deciding.next_action import decide_next_action, travel_viable
from prospects.deciding.routing import route_for
from prospects.deciding.safety_memory import remembered_safety
from prospects.models import (
    Decision,
    Mode,
    PipelineSettings,
)
from prospects.selectors import pipeline_settings, sends_in_last_day


def choose_mode(settings_row: PipelineSettings, template_key: str) -> Mode:
    if template_key in settings_row.auto_send_keys:
        return Mode.AUTO_SEND
    return Mode(settings_row.default_mode)


def send_mode_now(decision: Decision) -> Mode:
    """The send mode read when a draft is disposed of: the stricter of the decision's and
    today's settings', so turning auto-send off holds every draft made after, whenever
    its decision was made (a job, "Draft again", a live draft that waited for the GPU)."""
    today = choose_mode(pipeline_settings(), decision.template_key)
    return Mode.REVIEW if Mode.REVIEW in (decision.mode, today) else Mode.AUTO_SEND


def decision_decide(decision: Decision, classification: Classification) -> str:
    """Fills ``decision`` from a classification: next action, Gate-2, mode and route, in
    the thread's state when the message arrived. Returns the thread's state after it."""
    thread = decision.thread
    action = decide_next_action(
        move=classification.move,
        state=decision.state,
        viable=travel_viable(decision.message.body),
    )
    gate2_result = decision_gate.evaluate(
        body=decision.message.body,
        move=classification.move,
        thread_state=decision.state,
        sends_today=sends_in_last_day(thread),
        max_sends_per_day=settings.GATE2_MAX_SENDS_PER_DAY,
        remembered_safety=remembered_safety(thread.id, besides_message_id=decision.message_id),
    )
    settings_row = pipeline_settings()
    route = (
        route_for(
            Situation(
                archetype=thread.archetype, state=decision.state, template_key=action.template_key
            ),
            str(thread.id),
            draft_engine=settings_row.draft_engine,
        )
        if action.template_key
        else None
    )
    decision.is_prospect = classification.is_prospect
    decision.move = classification.move
    decision.classified_by = classification.classified_by
    decision.confidence = classification.confidence
    decision.classifier_problem = classification.problem
    decision.trace = classification.trace
    decision.template_key = action.template_key or ""
    decision.gate2_results = gate2_result.results
    decision.mode = choose_mode(settings_row, action.template_key or "")
    decision.engine_id = route.engine_id if route else settings_row.draft_engine
    decision.workflow_version = route.workflow_version if route else None
    decision.experiment_arm = route.experiment_arm if route else ""
    return action.next_state
