"""Measuring move decisions on a labelled corpus: one ``{"body", "move", "is_prospect"}``
per line (``tests/fixtures/moves/``), optionally with the ``thread_state`` the message
arrived in (``new`` when absent)."""

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from builder.taxonomy import ThreadState
from engines.moves import all_moves, invariant_holds, is_prospect_move
from prospects.deciding.classify import Classification


class CorpusInvalid(ValueError):
    pass


@dataclass(frozen=True)
class LabelledMessage:
    body: str
    thread_state: str
    move: str = ""
    is_prospect: bool | None = None


def parse_labelled(line: str, *, labelled: bool) -> LabelledMessage:
    """One corpus line; ``CorpusInvalid`` says what is wrong with it."""
    try:
        item = json.loads(line)
    except ValueError as error:
        raise CorpusInvalid(f"not JSON: {error}") from error
    if not isinstance(item, dict):
        raise CorpusInvalid("not a JSON object")
    body, state = item.get("body"), item.get("thread_state", ThreadState.NEW)
    if not isinstance(body, str):
        raise CorpusInvalid('"body" must be a string')
    if state not in ThreadState.values:
        raise CorpusInvalid(f'"thread_state" must be one of {ThreadState.values}')
    if not labelled:
        return LabelledMessage(body=body, thread_state=state)
    move, is_prospect = item.get("move"), item.get("is_prospect")
    if move not in all_moves():
        raise CorpusInvalid(f'"move" must be one of {list(all_moves())}')
    if not isinstance(is_prospect, bool) or not invariant_holds(is_prospect=is_prospect, move=move):
        expected = "true" if is_prospect_move(move) else "false"
        raise CorpusInvalid(f'"is_prospect" must be {expected} for {move}')
    return LabelledMessage(body=body, thread_state=state, move=move, is_prospect=is_prospect)


def labelled_files(paths: list) -> list[LabelledMessage]:
    """Every labelled line of the files, in order; ``CorpusInvalid`` names the file and
    the line (or why the file cannot be read)."""
    items = []
    for path in map(Path, paths):
        try:
            lines = path.read_text().splitlines()
        except OSError as error:
            raise CorpusInvalid(f"cannot read {path}: {error.strerror}") from error
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                items.append(parse_labelled(line, labelled=True))
            except CorpusInvalid as error:
                raise CorpusInvalid(f"{path}:{number}: {error}") from error
    return items


@dataclass
class MoveScore:
    VERDICT_KEYS = ("is_prospect", "move", "trace", "classified_by")

    total: int = 0
    right_move: int = 0
    right_prospect: int = 0
    # (labelled move, decided move) -> count: where the rules go wrong.
    confusions: Counter = field(default_factory=Counter)

    @property
    def move_accuracy(self) -> float:
        return self.right_move / self.total if self.total else 0.0

    @property
    def is_prospect_accuracy(self) -> float:
        return self.right_prospect / self.total if self.total else 0.0

    def add(self, item: LabelledMessage, verdict: Classification) -> None:
        self.total += 1
        self.right_move += verdict.move == item.move
        self.right_prospect += verdict.is_prospect == item.is_prospect
        if verdict.move != item.move:
            self.confusions[(item.move, verdict.move)] += 1

    def result_line(self) -> str:
        return (
            f"RESULT move_accuracy={self.move_accuracy:.3f} "
            f"is_prospect_accuracy={self.is_prospect_accuracy:.3f} messages={self.total}"
        )
