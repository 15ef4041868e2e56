"""Untrusted text (what senders write, what models write): one normalisation before any
rule reads it.

Two steps, for two audiences:
- ``strip_invisible`` removes what a reader cannot see but a model or a rule still reads:
  format characters (Cf: zero-width, bidi controls, tag characters), control characters
  other than newline and tab, variation selectors, enclosing marks (keycaps) and Hangul
  and Braille fillers. The count removed is kept so the reviewer is told.
- ``normalise`` is what every rule reads (the move rules, Gate-2, the validation gate,
  retrieval, the classifier's prompt): the above, then NFKC (fullwidth letters, ligatures,
  mathematical alphabets, circled and superscript digits become plain ones), typographic
  apostrophes made plain, then look-alike letters from other scripts folded to the Latin
  letter they imitate.

Look-alikes come from Unicode's confusables table as packaged by `confusable-homoglyphs`
(the table itself, kept current with Unicode releases, and each character's script):
`unidecode` transliterates every non-ASCII letter, which would also strip the accents
that the Spanish, French, German and Portuguese rules match on. A letter is folded only
in a word that mixes scripts or is made of look-alikes alone ("сops" with a Cyrillic
"с"), so a message written in Cyrillic or Greek keeps its words.
"""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from confusable_homoglyphs.categories import alias
from confusable_homoglyphs.confusables import confusables_data

FILLERS = frozenset("\u115f\u1160\u3164\u2800\uffa0")
# Typographic apostrophes ("I’m"), which NFKC keeps, read as the plain one.
APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc", "'"))
KEPT_CONTROLS = frozenset("\n\t")
WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Cleaned:
    text: str
    removed: int


def _invisible(char: str) -> bool:
    category = unicodedata.category(char)
    if category in ("Cf", "Me") or char in FILLERS:
        return True
    if category == "Cc":
        return char not in KEPT_CONTROLS
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


# Printable ASCII, newline and tab are never invisible: only the rest is looked up.
_MAYBE_INVISIBLE = re.compile(r"[^\x20-\x7e\n\t]+")


def _drop_invisible(match: re.Match) -> str:
    return "".join(char for char in match.group() if not _invisible(char))


def strip_invisible(text: str) -> Cleaned:
    kept = _MAYBE_INVISIBLE.sub(_drop_invisible, text)
    return Cleaned(text=kept, removed=len(text) - len(kept))


@dataclass(frozen=True)
class RemovedCharacter:
    code: str  # "U+200B"
    name: str
    count: int


def removed_characters(text: str) -> list[RemovedCharacter]:
    """What ``strip_invisible`` takes out of ``text``, by character, most frequent first:
    what the reviewer is shown next to the cleaned message."""
    counts = Counter(char for char in text if _invisible(char))
    return [
        RemovedCharacter(
            code=f"U+{ord(char):04X}",
            name=unicodedata.name(char, "control character").title(),
            count=count,
        )
        for char, count in counts.most_common()
    ]


@dataclass(frozen=True)
class Segment:
    text: str
    removed: bool


def mark_invisible(text: str) -> list[Segment]:
    """``text`` in segments, each invisible character written out as "[U+200B]" in a
    segment of its own, so a person can see where it sat."""
    segments: list[Segment] = []
    plain = []
    for char in text:
        if not _invisible(char):
            plain.append(char)
            continue
        if plain:
            segments.append(Segment("".join(plain), removed=False))
            plain = []
        segments.append(Segment(f"[U+{ord(char):04X}]", removed=True))
    if plain:
        segments.append(Segment("".join(plain), removed=False))
    return segments


@lru_cache(maxsize=4096)
def _latin_lookalike(char: str) -> str | None:
    """The ASCII letters a non-Latin letter imitates, if Unicode lists it as confusable."""
    if char.isascii() or alias(char) in ("LATIN", "COMMON"):
        return None
    for homoglyph in confusables_data.get(char, ()):
        if homoglyph["c"].isascii() and homoglyph["c"].isalpha():
            return homoglyph["c"]
    return None


def _fold_word(match: re.Match) -> str:
    word = match.group()
    if word.isascii():
        return word
    lookalikes = {index: _latin_lookalike(char) for index, char in enumerate(word)}
    folded = {index: latin for index, latin in lookalikes.items() if latin}
    if not folded:
        return word
    mixes_latin = any(char.isascii() for char in word)
    if not mixes_latin and len(folded) < len(word):
        return word
    return "".join(folded.get(index, char) for index, char in enumerate(word))


def normalise(text: str) -> str:
    """What rules read: invisible characters out, NFKC, look-alike letters folded."""
    composed = unicodedata.normalize("NFKC", strip_invisible(text).text).translate(APOSTROPHES)
    return WORD.sub(_fold_word, composed)
