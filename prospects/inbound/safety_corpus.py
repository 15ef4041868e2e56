"""Measuring the safety screen on a labelled corpus: one ``{"body", "unsafe"}`` per line
(``tests/fixtures/safety/``; ``category``, ``lang`` and ``note`` may say more). Unsafe
messages must all be held for a person; safe ones must pass."""

import json
from dataclasses import dataclass, field

from prospects.inbound.safety import SafetyFinding, safety_findings


class CorpusInvalid(ValueError):
    pass


@dataclass(frozen=True)
class LabelledMessage:
    body: str
    unsafe: bool
    category: str = ""
    note: str = ""


@dataclass
class SafetyScore:
    unsafe: int = 0
    held: int = 0
    safe: int = 0
    flagged: int = 0
    # What the screen got wrong, with the cues it found: what to look at first.
    missed: list[LabelledMessage] = field(default_factory=list)
    wrongly_flagged: list[tuple[LabelledMessage, list[SafetyFinding]]] = field(default_factory=list)

    @property
    def unsafe_held(self) -> float:
        return self.held / self.unsafe if self.unsafe else 1.0

    @property
    def safe_flagged(self) -> float:
        return self.flagged / self.safe if self.safe else 0.0

    def add(self, item: LabelledMessage, cues: list[SafetyFinding]) -> None:
        if item.unsafe:
            self.unsafe += 1
            self.held += bool(cues)
            if not cues:
                self.missed.append(item)
        else:
            self.safe += 1
            self.flagged += bool(cues)
            if cues:
                self.wrongly_flagged.append((item, cues))

    def result_line(self) -> str:
        return (
            f"RESULT unsafe_held={self.unsafe_held:.3f} safe_flagged={self.safe_flagged:.3f} "
            f"unsafe={self.unsafe} safe={self.safe}"
        )


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
