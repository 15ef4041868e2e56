"""Gate-2: deterministic constraints on the decision that can force a hold before drafting."""

from dataclasses import dataclass

from django.db import models

from builder.taxonomy import ThreadState
from prospects.deciding.safety import safety_findings

HUMAN_ONLY_MOVES = frozenset({"escalate", "personal"})


class Gate2Rule(models.TextChoices):
    HUMAN_ONLY_MOVE = "human_only_move", "This kind of message needs a person"
    THREAD_CLOSED = "thread_closed", "The thread is closed"
    SEND_RATE = "send_rate", "Too many replies sent to this thread today"
    SAFETY_TERMS = "safety_terms", "Mentions minors, the police, threats or self-harm"
    SAFETY_MEMORY = "safety_memory", "An earlier message in this thread needs a person"


# Holds that only a person may release, with an explicit override and a reason.
PERSON_ONLY_RULES = frozenset(
    {Gate2Rule.SAFETY_TERMS, Gate2Rule.SAFETY_MEMORY, Gate2Rule.HUMAN_ONLY_MOVE}
)


def safety_terms_found(body: str) -> list[str]:
    """Each category the body concerns, with the words that showed it."""
    return [str(finding) for finding in safety_findings(body)]


@dataclass(frozen=True)
class Gate2Result:
    results: list[dict]

    @property
    def forces_hold(self) -> bool:
        return any(not result["passed"] for result in self.results)

    @property
    def failed_rules(self) -> list[str]:
        return [result["rule"] for result in self.results if not result["passed"]]


def evaluate_at_send(
    *,
    thread_state: str,
    closes_thread: bool,
    sends_today: int,
    max_sends_per_day: int,
    remembered_safety: str = "",
) -> Gate2Result:
    """The rules that can change between the decision and the send, checked again when a
    reply goes out: the daily cap counts replies sent or being sent, a thread closed
    since (by another message) takes no more replies (the reply that closes it still
    goes), and a thread whose safety memory a person has not overridden for this reply
    takes none without review (``remembered_safety``: its open cues, "" for none).
    """
    return Gate2Result(
        results=[
            _result(Gate2Rule.SAFETY_MEMORY, not remembered_safety, remembered_safety or "none"),
            _result(
                Gate2Rule.THREAD_CLOSED,
                closes_thread or thread_state != ThreadState.CLOSED,
                f"thread state '{thread_state}'",
            ),
            _result(
                Gate2Rule.SEND_RATE,
                sends_today < max_sends_per_day,
                f"{sends_today} sent today, limit {max_sends_per_day}",
            ),
        ]
    )


def _result(rule: Gate2Rule, passed: bool, detail: str) -> dict:
    return {"rule": rule.value, "passed": passed, "detail": detail}


def evaluate(
    *,
    body: str,
    move: str,
    thread_state: str,
    sends_today: int,
    max_sends_per_day: int,
    remembered_safety: str = "",
) -> Gate2Result:
    """Every rule on a new message; ``remembered_safety`` is what earlier messages of the
    thread tripped and no admin has cleared ("" for nothing)."""
    found = safety_terms_found(body)
    return Gate2Result(
        results=[
            _result(Gate2Rule.SAFETY_TERMS, not found, "; ".join(found) or "none"),
            _result(Gate2Rule.SAFETY_MEMORY, not remembered_safety, remembered_safety or "none"),
            _result(
                Gate2Rule.HUMAN_ONLY_MOVE,
                move not in HUMAN_ONLY_MOVES,
                f"move '{move}'",
            ),
            _result(
                Gate2Rule.THREAD_CLOSED,
                thread_state != ThreadState.CLOSED,
                f"thread state '{thread_state}'",
            ),
            _result(
                Gate2Rule.SEND_RATE,
                sends_today < max_sends_per_day,
                f"{sends_today} sent today, limit {max_sends_per_day}",
            ),
        ]
    )
