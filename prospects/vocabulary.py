"""The words people read for each code the product stores: one label per code, on every
page, list, filter and confirmation. Pages show a stored code only through ``say``; the
browser walk checks that no page shows a code raw (``raw_codes``)."""

import re
from dataclasses import dataclass
from functools import cache

from builder.taxonomy import Archetype, ThreadState
from builder.versions import STATE_WORDS
from engines.gate.reply_gate import GateRule
from engines.gpu.policy import Reason
from engines.holds import HoldReason, WaitReason
from engines.models.gpu import GpuInstance
from engines.moves import MOVE_WORDS, move_name
from prospects.deciding.decision_gate import Gate2Rule
from prospects.deciding.next_action import template_keys_in_use
from prospects.models import (
    Draft,
    DraftJob,
    DraftJobItem,
    EventName,
    Mode,
    Outcome,
    ReasonTag,
    ThreadOutcome,
    WebhookDelivery,
)

# Why a GPU machine changed state: the policy's reasons and the lifecycle's own steps.
GPU_REASON_WORDS = {
    Reason.WORK_WAITING: "Work was waiting",
    Reason.SCALE_OUT: "More work than the machines keep up with",
    Reason.HOLD_WARM: "An admin holds it warm",
    Reason.IDLE: "Idle past its grace period",
    Reason.BUDGET: "The day's GPU budget is spent",
    Reason.LIFETIME: "It reached its longest life",
    Reason.RECYCLED: "It replaces a recycled machine",
    Reason.PREDICTED: "Booted ahead of work that comes on a clock",
    Reason.BOOT_TIMEOUT: "It did not start in time",
    Reason.ADMIN: "An admin released it",
    Reason.VANISHED: "The machine vanished at the provider",
    Reason.ORPHAN: "A machine no record owns",
    Reason.PROVIDER_ERROR: "The provider refused or failed",
    "droplet_active": "The machine is up",
    "model_server_healthy": "The model server answers",
    "destroyed": "The machine is destroyed",
}


@cache
def vocabulary() -> dict[str, dict[str, str]]:
    """kind -> code -> words."""
    return {
        "hold_reason": dict(HoldReason.choices),
        "wait_reason": dict(WaitReason.choices),
        "decision_gate": dict(Gate2Rule.choices),
        "reply_gate": dict(GateRule.choices),
        "move": {move: name for move, (name, _) in MOVE_WORDS.items()},
        "draft_status": dict(Draft.Status.choices),
        "job_status": dict(DraftJob.Status.choices),
        "item_status": dict(DraftJobItem.Status.choices),
        "mode": dict(Mode.choices),
        "archetype": dict(Archetype.choices),
        "reason_tag": dict(ReasonTag.choices),
        "thread_state": dict(ThreadState.choices),
        "outcome": dict(Outcome.choices),
        "outcome_source": dict(ThreadOutcome.Source.choices),
        "gpu_reason": GPU_REASON_WORDS,
        "gpu_state": dict(GpuInstance.State.choices),
        "version_state": STATE_WORDS,
        "webhook_event": dict(EventName.choices),
        "delivery_status": dict(WebhookDelivery.Status.choices),
    }


def say(kind: str, code: str) -> str:
    """The words for ``code``; a template key reads as its move and its action. An unknown
    code is shown as it is, so the browser walk's vocabulary check finds it."""
    if kind == "template_key":
        return template_key_words(code)
    return vocabulary()[kind].get(code, code)


def template_key_words(key: str) -> str:
    """``out_of_area.travel`` -> "Out of area: travel"."""
    move, _, action = (key or "").partition(".")
    if not action:
        return move_name(move)
    return f"{move_name(move)}: {action.replace('_', ' ')}"


@dataclass(frozen=True)
class Check:
    """One of Gate-2's verdicts on a decision, as a person reads it: the rule, whether the
    decision passed it, and what the rule found ("" when it found nothing)."""

    words: str
    passed: bool
    detail: str


# Gate-2 records a move or a thread state in a verdict's detail by its code
# (``prospects/deciding/decision_gate.py``); stored rows keep that form.
DETAIL_CODES = (
    (re.compile(r"move '(\w+)'"), "move"),
    (re.compile(r"thread state '(\w+)'"), "thread_state"),
)


def decision_checks(results: list[dict]) -> list[Check]:
    """A decision's ``gate2_results`` in words."""
    return [
        Check(say("decision_gate", result["rule"]), result["passed"], _detail(result["detail"]))
        for result in results
    ]


def _detail(detail: str) -> str:
    if detail == "none":
        return ""
    for pattern, kind in DETAIL_CODES:
        detail = pattern.sub(lambda found, kind=kind: say(kind, found[1]), detail)
    return detail


# The kinds whose codes a stored sentence may name (a hold's detail: "Gate-2 rules:
# safety_terms (...)"), first kind first where two share a code.
SENTENCE_KINDS = ("decision_gate", "reply_gate", "hold_reason", "wait_reason")


def words_in(text: str) -> str:
    """``text`` with each stored code it names in words: the codes ``raw_codes`` looks for,
    a template key ("No canon entry for template key 'opener.welcome'") and a move in
    quotes ("sure of 'of'")."""
    for kind in SENTENCE_KINDS:
        for code, words in vocabulary()[kind].items():
            if "_" in code:
                text = re.sub(rf"(?<![\w.-]){re.escape(code)}(?![\w-])", words, text)
    for key in template_keys_in_use():
        text = re.sub(rf"'?(?<![\w.-]){re.escape(key)}(?![\w-])'?", template_key_words(key), text)
    return re.sub(r"'(\w+)'", lambda found: vocabulary()["move"].get(found[1], found[0]), text)


def raw_codes(text: str) -> list[str]:
    """The stored codes ``text`` shows as they are: snake_case codes of any kind (a bare
    word such as "spam" is also English, so only codes that no sentence holds are looked
    for), template keys, and a Python dict or JSON path printed for a person."""
    codes = {code for words in vocabulary().values() for code in words if "_" in code}
    codes |= template_keys_in_use()
    found = [code for code in codes if re.search(rf"(?<![\w.-]){re.escape(code)}(?![\w-])", text)]
    found += re.findall(r"\{'[^']*':|\w+\[\d+\]\.\w+", text)
    return sorted(set(found))
