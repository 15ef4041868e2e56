"""Measuring the safety screen on a labelled corpus: one ``{"body", "unsafe"}`` per line
(``tests/fixtures/safety/``; ``category``, ``lang`` and ``note`` may say more). Unsafe
messages must all be held for a person; safe ones must pass."""

import json
from dataclasses import dataclass

from engines.gate.corpus import HoldScore
from prospects.deciding.safety import SafetyFinding, safety_findings


class CorpusInvalid(ValueError):
    pass


@dataclass(frozen=True)
class LabelledMessage:
    body: str
    unsafe: bool
    category: str = ""
    note: str = ""


class SafetyScore(HoldScore):
    def add(self, item: LabelledMessage, findings: tuple[SafetyFinding, ...]) -> None:
        super().add(item, findings, held=bool(findings))


def parse_labelled(line: str) -> LabelledMessage:
    """One corpus line; ``CorpusInvalid`` says what is wrong with it."""
    try:
        item = json.loads(line)
    except ValueError as error:
        raise CorpusInvalid(f"not JSON: {error}") from error
    if not isinstance(item, dict):
        raise CorpusInvalid("not a JSON object")
    body, unsafe = item.get("body"), item.get("unsafe")
    if not isinstance(body, str):
        raise CorpusInvalid('"body" must be a string')
    if not isinstance(unsafe, bool):
        raise CorpusInvalid('"unsafe" must be true or false')
    return LabelledMessage(
        body=body,
        unsafe=unsafe,
        category=str(item.get("category", "")),
        note=str(item.get("note", "")),
    )


def judge(item: LabelledMessage) -> list[SafetyFinding]:
    return safety_findings(item.body)
