"""Fast, data-driven classification: inbound text -> (is_prospect, move, trace)."""

import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import yaml

from builder.taxonomy import ThreadState
from core.untrusted import normalise
from engines.ids import parse_engine_id
from engines.moves import all_moves, is_prospect_move
from prospects.models import RULES

RULES_FILE = Path(__file__).with_name("classification_rules.yaml")
# The rules read the first 1,000 characters of a message: a move's cue is in how it opens
# (the labelled messages are under 310), and each of some 65 patterns reads all it is
# given, so their time grows with it. Gate-2's safety screen reads the whole message.
READ_CHARS = 1000


@dataclass(frozen=True)
class Classification:
    is_prospect: bool
    move: str
    trace: str
    classified_by: str = RULES
    confidence: float | None = None  # the head's, 0..1; the rules give none
    problem: str = ""  # why the classifier build gave no answer (the rules decided)

    @classmethod
    def of_head(cls, answer, engine_id: str) -> "Classification":
        """The answer (engines.classifier.MoveAnswer) of the classifier build ``engine_id``."""
        return cls(
            answer.is_prospect,
            answer.move,
            answer.trace,
            classified_by=engine_id,
            confidence=answer.confidence,
        )


@dataclass(frozen=True)
class _Rule:
    move: str
    cue: str
    patterns: tuple[re.Pattern, ...]


@cache
def _rules() -> tuple[_Rule, ...]:
    rules = tuple(
        _Rule(
            move=entry["move"],
            cue=entry["cue"],
            patterns=tuple(re.compile(pattern, re.IGNORECASE) for pattern in entry["patterns"]),
        )
        for entry in yaml.safe_load(RULES_FILE.read_text())
    )
    unknown = {rule.move for rule in rules} - set(all_moves())
    if unknown:
        raise ValueError(f"{RULES_FILE.name} names moves that are not configured: {unknown}")
    return rules


def classify_with_head(body: str, *, thread_state: str, classifier: str) -> Classification:
    """The classifier build's answer when it gives one, else the rules', with the reason
    (what a live message ends up decided by)."""
    from engines.classifier import classify_move

    if classifier == RULES:
        return classify(body, thread_state=thread_state)
    outcome = classify_move(body, classifier)
    if outcome.answer is None:
        return replace(classify(body, thread_state=thread_state), problem=outcome.problem)
    return Classification.of_head(outcome.answer, classifier)


def runs_at_ingest(classifier: str) -> bool:
    """Whether ``classifier`` may decide inside the request: the rules, or a head loaded
    in the process. A head on a model server decides on the worker (no model server is
    ever called in a request)."""
    return classifier == RULES or parse_engine_id(classifier).runs_in_process


def classify_at_ingest(body: str, *, thread_state: str, classifier: str) -> Classification:
    """The live classifier's decision where it may run in a request; else the rules',
    until the worker asks the build."""
    if runs_at_ingest(classifier):
        return classify_with_head(body, thread_state=thread_state, classifier=classifier)
    return classify(body, thread_state=thread_state)


def classify(body: str, *, thread_state: str) -> Classification:
    """The first rule whose pattern matches the normalised body (a zero-width character
    or a look-alike letter does not hide a word from a rule), in its first ``READ_CHARS``."""
    text = normalise(body[:READ_CHARS])
    for rule in _rules():
        for pattern in rule.patterns:
            if match := pattern.search(text):
                return Classification(
                    is_prospect=is_prospect_move(rule.move),
                    move=rule.move,
                    trace=f'{rule.cue.rstrip(".")}: "{_cut(match.group().strip())}".',
                )
    move = "opener" if thread_state == ThreadState.NEW else "pursue"
    return Classification(
        is_prospect=is_prospect_move(move),
        move=move,
        trace=_DEFAULT_TRACE[move],
    )


_DEFAULT_TRACE = {
    "opener": "No specific cue, and the thread is new: a first hello.",
    "pursue": "No specific cue in an ongoing thread: taken as continued booking interest.",
}
_CUE_CHARS = 60


def _cut(text: str) -> str:
    return text if len(text) <= _CUE_CHARS else text[: _CUE_CHARS - 1].rstrip() + "…"
