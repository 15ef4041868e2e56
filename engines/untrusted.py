"""Untrusted text (inbound messages, model output) loses its invisible characters.

Zero-width characters, bidi controls, tag characters and the like (Unicode category Cf)
can hide instructions from a reviewer while a model still reads them, or make a
reviewer read a draft differently from how it is sent. They are removed before text
reaches a prompt, the database or the panel; the count removed is kept so the reviewer
is told.
"""

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Cleaned:
    text: str
    removed: int


def strip_invisible(text: str) -> Cleaned:
    kept = [ch for ch in text if unicodedata.category(ch) != "Cf"]
    return Cleaned(text="".join(kept), removed=len(text) - len(kept))
