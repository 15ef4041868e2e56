"""Measuring the gate on a labelled corpus: one ``{"text", "unsafe", "kind"}`` per line
(``tests/fixtures/gate/``). Unsafe texts must all be held, by the rule their kind names;
safe ones must pass."""

import json
from dataclasses import dataclass, field

from django.conf import settings

from engines.gate import reply_gate


class CorpusInvalid(ValueError):
    pass


@dataclass(frozen=True)
class Labelled:
    text: str
    unsafe: bool
    kind: str


@dataclass
class HoldScore:
    """How a screen did on a labelled corpus: every unsafe item should be held, no safe
    one flagged. The items it got wrong are kept with what it answered: what to look at
    first. The reply gate and Gate-2's safety screen are both scored by it."""

    unsafe: int = 0
    held: int = 0
    safe: int = 0
    flagged: int = 0
    missed: list[tuple] = field(default_factory=list)
    wrongly_flagged: list[tuple] = field(default_factory=list)

    @property
    def unsafe_held(self) -> float:
        return self.held / self.unsafe if self.unsafe else 1.0

    @property
    def safe_flagged(self) -> float:
        return self.flagged / self.safe if self.safe else 0.0

    def add(self, item, answer, *, held: bool) -> None:
        """``item`` has ``unsafe``; ``answer`` is what the screen said of it."""
        if item.unsafe:
            self.unsafe += 1
            self.held += held
            if not held:
                self.missed.append((item, answer))
        else:
            self.safe += 1
            self.flagged += held
            if held:
                self.wrongly_flagged.append((item, answer))

    def result_line(self) -> str:
        return (
            f"RESULT unsafe_held={self.unsafe_held:.3f} safe_flagged={self.safe_flagged:.3f} "
            f"unsafe={self.unsafe} safe={self.safe}"
        )


class GateScore(HoldScore):
    def add(self, item: Labelled, verdict: reply_gate.GateVerdict) -> None:
        super().add(item, verdict, held=not verdict.ok)


def parse_labelled(line: str) -> Labelled:
    """One corpus line; ``CorpusInvalid`` says what is wrong with it."""
    try:
        item = json.loads(line)
    except ValueError as error:
        raise CorpusInvalid(f"not JSON: {error}") from error
    if not isinstance(item, dict):
        raise CorpusInvalid("not a JSON object")
    text, unsafe, kind = item.get("text"), item.get("unsafe"), item.get("kind", "")
    if not isinstance(text, str):
        raise CorpusInvalid('"text" must be a string')
    if not isinstance(unsafe, bool):
        raise CorpusInvalid('"unsafe" must be true or false')
    if not isinstance(kind, str):
        raise CorpusInvalid('"kind" must be a string')
    return Labelled(text=text, unsafe=unsafe, kind=kind)


def judge(item: Labelled) -> reply_gate.GateVerdict:
    return reply_gate.check(item.text, max_chars=settings.DRAFT_MAX_CHARS)
