"""Gate-2: deterministic constraints on the decision that can force a hold before drafting."""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from django.db import models

from builder.taxonomy import ThreadState
from engines.untrusted import normalise

SAFETY_TERMS_FILE = Path(__file__).with_name("safety_terms.yaml")

HUMAN_ONLY_MOVES = frozenset({"escalate", "personal"})


class Gate2Rule(models.TextChoices):
    HUMAN_ONLY_MOVE = "human_only_move", "This kind of message needs a person"
    THREAD_CLOSED = "thread_closed", "The thread is closed"
    SEND_RATE = "send_rate", "Too many replies sent to this thread today"
    SAFETY_TERMS = "safety_terms", "Mentions minors, the police, threats or self-harm"


@cache
def _safety_terms() -> dict[str, re.Pattern]:
    """Category -> one pattern of all its terms (safety_terms.yaml)."""
    categories = yaml.safe_load(SAFETY_TERMS_FILE.read_text(encoding="utf-8"))
    return {
        category: re.compile("|".join(f"(?:{term})" for term in terms), re.I)
        for category, terms in categories.items()
    }


def safety_terms_found(body: str) -> list[str]:
    """Each category the normalised body mentions, with the words that matched."""
    text = normalise(body)
    return [
        f"{category}: '{match.group().strip()}'"
        for category, pattern in _safety_terms().items()
        if (match := pattern.search(text))
    ]


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
    *, body: str, move: str, thread_state: str, sends_today: int, max_sends_per_day: int
) -> Gate2Result:
    found = safety_terms_found(body)
    return Gate2Result(
        results=[
            _result(Gate2Rule.SAFETY_TERMS, not found, "; ".join(found) or "none"),
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
