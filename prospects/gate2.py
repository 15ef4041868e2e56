"""Gate-2: deterministic constraints on the decision that can force a hold before drafting."""

from dataclasses import dataclass

from django.db import models

from builder.taxonomy import ThreadState

HUMAN_ONLY_MOVES = frozenset({"escalate", "personal"})


class Gate2Rule(models.TextChoices):
    HUMAN_ONLY_MOVE = "human_only_move", "This kind of message needs a person"
    THREAD_CLOSED = "thread_closed", "The thread is closed"
    SEND_RATE = "send_rate", "Too many replies sent to this thread today"


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
    *, thread_state: str, closes_thread: bool, sends_today: int, max_sends_per_day: int
) -> Gate2Result:
    """The rules that can change between the decision and the send, checked again when a
    reply goes out: the daily cap counts replies sent or being sent, and a thread closed
    since (by another message) takes no more replies; the reply that closes it still goes.
    """
    return Gate2Result(
        results=[
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
    *, move: str, thread_state: str, sends_today: int, max_sends_per_day: int
) -> Gate2Result:
    return Gate2Result(
        results=[
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
