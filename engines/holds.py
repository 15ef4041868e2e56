"""Why a draft is held: machine-readable codes stored on rows and shown to people."""

from django.db import models


class HoldReason(models.TextChoices):
    REVIEW_MODE = "review_mode", "Review mode: waiting for a coworker"
    GATE2 = "gate2_hold", "Gate-2 constraint forced a hold"
    GATE_FAILED = "gate_failed", "Validation gate failed"
    NO_BRIDGE = "no_bridge", "No messaging bridge configured"
    BRIDGE_ERROR = "bridge_error", "Messaging bridge refused or failed"
    BRIDGE_UNKNOWN = "bridge_unknown", "The bridge did not answer: the reply may have been sent"
    UNKNOWN_TEMPLATE_KEY = "unknown_template_key", "No canon for this template key"
    EMPTY_CANON = "empty_canon", "Canon text is empty"
    NO_WORKFLOW = "no_workflow", "No published workflow matches the situation"
    BREAKER_OPEN = "breaker_open", "The model endpoint's circuit breaker is open"
    ENGINE_TIMEOUT = "engine_timeout", "The model did not answer in time"
    MALFORMED_OUTPUT = "malformed_output", "The model's answer was malformed or cut off"
    ENGINE_UNAVAILABLE = "engine_unavailable", "The active engine cannot draft"
    ENGINE_ERROR = "engine_error", "The engine failed"
    TOO_MANY_ATTEMPTS = "too_many_attempts", "Drafting crashed on every attempt"
    NO_REPLY = "no_reply", "The move classifier found no reply to draft"
    ALREADY_ANSWERED = "already_answered", "A reply to this message was already sent"
    UNCERTAIN_MOVE = "uncertain_move", "The move classifier was not sure of the move"
    SEND_CANCELLED = "send_cancelled", "A person cancelled its scheduled send"
    DAILY_SEND_CAP = "daily_send_cap", "Today's cap on replies sent without a person is reached"


# Holds that mean the engine gave no usable body (not a review or sending policy).
ENGINE_FAILURES = frozenset(HoldReason) - {
    HoldReason.REVIEW_MODE,
    HoldReason.GATE2,
    HoldReason.NO_BRIDGE,
    HoldReason.BRIDGE_ERROR,
    HoldReason.BRIDGE_UNKNOWN,
    HoldReason.NO_REPLY,
    HoldReason.ALREADY_ANSWERED,
    HoldReason.UNCERTAIN_MOVE,
    HoldReason.SEND_CANCELLED,
    HoldReason.DAILY_SEND_CAP,
}


class WaitReason(models.TextChoices):
    """Why a queued draft is not drafted yet: shown on the draft, never stored."""

    IN_LINE = "in_line", "In line for a worker"
    DRAFTING = "drafting", "A worker is drafting it"
    ENGINE_NOT_READY = "engine_not_ready", "No endpoint serves the engine"
    BOOTING = "booting", "The on-demand GPU is starting"
    BREAKER_OPEN = "breaker_open", "The model endpoint's circuit breaker is open"
