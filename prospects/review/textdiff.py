"""How far a coworker's correction moved from the draft: edit distance and a word diff."""

import difflib
import re
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

# Words and the whitespace between them, so a diff joined back together is the text.
TOKEN = re.compile(r"\s+|[^\s]+")


def edit_distance(original: str, corrected: str) -> float:
    """Normalised character edit distance: 0 for the same text, 1 for nothing in common."""
    return Levenshtein.normalized_distance(original, corrected)


@dataclass(frozen=True)
class Segment:
    op: str  # "same", "removed" or "added"
    text: str


def word_diff(original: str, corrected: str) -> list[Segment]:
    """The changes word by word, in reading order."""
    before, after = TOKEN.findall(original), TOKEN.findall(corrected)
    segments = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(Segment("same", "".join(before[a1:a2])))
            continue
        if a2 > a1:
            segments.append(Segment("removed", "".join(before[a1:a2])))
        if b2 > b1:
            segments.append(Segment("added", "".join(after[b1:b2])))
    return segments
