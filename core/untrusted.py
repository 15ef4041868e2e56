"""Untrusted text (what senders write, what models write): one normalisation before any
rule reads it.

Three steps, for three audiences:
- ``strip_invisible`` removes what a reader cannot see but a model or a rule still reads:
  every Default_Ignorable_Code_Point (zero-width and bidi characters, tag characters,
  variation selectors, the combining grapheme joiner, Khmer's inherent vowels, Hangul
  fillers), control characters other than newline and tab, enclosing marks (keycaps), the
  Braille blank, and combining marks that do not compose with the letter they sit on
  ("pol" + U+0332 + "ice"): accents that compose ("e" + U+0301 = "é") stay, since the
  Spanish, French, German and Portuguese rules read them. The count removed is kept so
  the reviewer is told.
- ``normalise`` is what every rule reads (the move rules, Gate-2, the validation gate,
  retrieval, the classifier's prompt): the above, then NFKC (fullwidth letters, ligatures,
  mathematical alphabets, circled and superscript digits become plain ones), typographic
  apostrophes made plain, then look-alike letters from other scripts folded to the Latin
  letter they imitate.
- ``unmask`` is what rules read where a sender hides words on purpose (the reply gate,
  the safety rules): the normalised text with letters or digits written one by one
  ("p o l i c e", "p.o.l.i.c.e", "k-i-l-l", "3 0 0") joined up, and, with
  ``letters_for_digits``, digits standing for letters inside words ("p0lice", "k1ll",
  "s1xteen") read as those letters.

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

# Typographic apostrophes ("I’m"), which NFKC keeps, read as the plain one.
APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc", "'"))
KEPT_CONTROLS = frozenset("\n\t")
WORD = re.compile(r"[^\W\d_]+")

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): what a renderer
# shows as nothing. Most are format characters (Cf), which the category test catches; the
# rest are fillers, the combining grapheme joiner (U+034F), Khmer's inherent vowels
# (U+17B4, U+17B5), Mongolian and other variation selectors, and reserved ranges.
DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Not default-ignorable, but blank all the same: the Braille blank pattern.
BLANKS = frozenset("\u2800")
# Scripts whose letters take combining marks only as decoration: a mark on them that
# does not compose into one letter ("l" + U+0332) is a way to split a word. In other
# scripts (Devanagari, Arabic, Thai...) such marks are the writing itself, and stay.
DECORATED_SCRIPTS = frozenset({"LATIN", "COMMON", "GREEK", "CYRILLIC"})


@dataclass(frozen=True)
class Cleaned:
    text: str
    removed: int


@lru_cache(maxsize=4096)
def _invisible(char: str) -> bool:
    category = unicodedata.category(char)
    if category in ("Cf", "Me"):
        return True
    if category == "Cc":
        return char not in KEPT_CONTROLS
    code = ord(char)
    return char in BLANKS or any(low <= code <= high for low, high in DEFAULT_IGNORABLE)


def _is_mark(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Mc")


@lru_cache(maxsize=4096)
def _decorated(base: str) -> bool:
    return alias(base) in DECORATED_SCRIPTS


def _splits_its_base(mark: str, cluster: str) -> bool:
    """A combining mark that NFC cannot compose into the letter before it: kept, it
    would sit inside a word and split it for every rule ("pol̲ice")."""
    if not _is_mark(mark) or not cluster or not _decorated(cluster[0]):
        return False
    return (
        unicodedata.normalize("NFC", cluster + mark) == unicodedata.normalize("NFC", cluster) + mark
    )


# Printable ASCII, newline and tab are never removed: only the rest is looked at.
_MAYBE_REMOVED = re.compile(r"[^\x20-\x7e\n\t]")


def _removed_at(text: str) -> list[int]:
    """The positions of what the normalisation removes: invisible characters and the
    combining marks that split their base letter."""
    if not _MAYBE_REMOVED.search(text):
        return []
    removed, cluster = [], ""
    for index, char in enumerate(text):
        if _invisible(char) or _splits_its_base(char, cluster):
            removed.append(index)
        elif _is_mark(char):
            cluster += char
        else:
            cluster = char
    return removed


def strip_invisible(text: str) -> Cleaned:
    removed = set(_removed_at(text))
    if not removed:
        return Cleaned(text=text, removed=0)
    kept = "".join(char for index, char in enumerate(text) if index not in removed)
    return Cleaned(text=kept, removed=len(removed))


@dataclass(frozen=True)
class RemovedCharacter:
    code: str  # "U+200B"
    name: str
    count: int


def removed_characters(text: str) -> list[RemovedCharacter]:
    """What ``strip_invisible`` takes out of ``text``, by character, most frequent first:
    what the reviewer is shown next to the cleaned message."""
    counts = Counter(text[index] for index in _removed_at(text))
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
    """``text`` in segments, each removed character written out as "[U+200B]" in a
    segment of its own, so a person can see where it sat."""
    removed = set(_removed_at(text))
    segments: list[Segment] = []
    plain = []
    for index, char in enumerate(text):
        if index not in removed:
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


# Letters or digits written one by one with the same separator between each: "p o l i c
# e", "p.o.l.i.c.e", "k-i-l-l", "s_e_x". Three at least, each a whole word of one (the
# "m" of "I'm" is not).
_SPELLED_OUT = re.compile(
    r"(?<![^\W_])(?<!')([^\W_])(?P<sep>[ .\-_])[^\W_](?:(?P=sep)[^\W_]){1,}(?![^\W_])"
)
# One-letter words that may begin a run of letters spelled out ("a p o l i c i a" is "a
# policia", Portuguese's article and the word, not "apolicia").
_ONE_LETTER_WORDS = frozenset("aoyà")


def _join_spelled_out(match: re.Match) -> str:
    joined = match.group().replace(match.group("sep"), "")
    first = joined[0]
    if first.lower() in _ONE_LETTER_WORDS and len(joined) > 3 and not joined.isdigit():
        return f"{first} {joined[1:]}"
    return joined


# Digits that stand for the letter they look like, inside a word.
_DIGIT_LETTERS = str.maketrans("013457@$", "oieastas")
# A whole run of word characters with a letter in it, read from the run's start only: tried
# again from each character of "1111…" it would read the rest of the run each time.
_MIXED_WORD = re.compile(r"(?<![\w@$])(?=[\w@$]*?[^\W\d_])[\w@$]++")
# A number with its unit or ordinal ("16yo", "17ans", "4pm", "10th", "2x"), or a word with
# a number after it ("room12", "covid19"): words that mix letters and digits honestly.
_NUMBER_AND_UNIT = re.compile(r"^\d+[^\W\d_]{1,6}$|^[^\W\d_]+\d{2,}$", re.IGNORECASE)


def _letters_for_digits(match: re.Match) -> str:
    word = match.group()
    if word.isalpha() or _NUMBER_AND_UNIT.match(word):
        return word
    return word.translate(_DIGIT_LETTERS)


def unmask(text: str, *, letters_for_digits: bool = False) -> str:
    """The normalised text with words spelled out one character at a time joined up, and
    with ``letters_for_digits`` the digits inside words read as letters."""
    text = _SPELLED_OUT.sub(_join_spelled_out, normalise(text))
    if letters_for_digits:
        text = _MIXED_WORD.sub(_letters_for_digits, text)
    return text
