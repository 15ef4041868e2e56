"""The validation gate: deterministic rules every draft body passes before it may be sent.

Each rule is named; a failure names the rules that failed. The rules must not flag
ordinary replies: times ("3pm", "7:30"), dates ("the 21st"), durations ("2 hours") and
small talk pass, while euphemistic or spelled-out prices, obfuscated contact details,
links, handles, AI phrases and the model's own reasoning are caught, in English,
Spanish, French, German and Portuguese. The rules live by kind: prices in
``gate_prices``, contact details in ``gate_contacts``, links and handles in
``gate_links``, phrases in ``gate_phrases``; ``tests/fixtures/gate/`` is the labelled
corpus they are measured on (``manage.py gate FILE --labelled``).

The rules read the text as a person would see it (``_as_seen``): the one normalisation of
untrusted text (``core.untrusted.unmask``: invisible characters dropped, NFKC,
look-alike letters folded to plain Latin ones, and characters spelled out one by one
joined up again), so "＄３００", "3 0 0 an hour" or "Bаker Street"
with a Cyrillic "а" cannot slip past a rule that the plain spelling fails.
"""

import re
from dataclasses import dataclass

from django.db import models

from core.untrusted import normalise, unmask
from engines.gate.contacts import (
    has_address,
    has_coordinates,
    has_email,
    has_phone,
    without_emails,
)
from engines.gate.links import has_handle, has_link
from engines.gate.phrases import shows_prompt_or_reasoning, sounds_like_ai
from engines.gate.prices import has_price


class GateRule(models.TextChoices):
    EMPTY = "empty", "Empty body"
    TOO_LONG = "too_long", "Longer than allowed"
    PRICE = "price", "Mentions a price or amount"
    ADDRESS = "address", "Gives an address"
    COORDINATES = "coordinates", "Gives map coordinates"
    PHONE = "phone", "Gives a phone number"
    EMAIL = "email", "Gives an e-mail address"
    LINK = "link", "Contains a link or a domain"
    HANDLE = "handle", "Gives a handle or moves to another channel"
    AI_PHRASE = "ai_phrase", "Sounds like an AI or a refusal"
    LEAKED_PROMPT = "leaked_prompt", "Leaks prompt text or step labels"


@dataclass(frozen=True)
class GateVerdict:
    failed: tuple[GateRule, ...]

    @property
    def ok(self) -> bool:
        return not self.failed

    def as_json(self) -> dict:
        return {"ok": self.ok, "failed": [rule.value for rule in self.failed]}


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", text.lower())) + " "


def _leaks(text: str, fragments) -> bool:
    # Compared word by word: an echoed prompt line still leaks when the model re-wraps
    # it, changes its case or drops its full stop.
    words = _words(text)
    return shows_prompt_or_reasoning(text) or any(
        _words(_as_seen(f)) in words for f in fragments if f.strip()
    )


# Letters that stand for digits in a run of digits: "3OO", "O7700 9OO l23".
_LETTER_DIGITS = str.maketrans("OoIlL|", "001111")
_DISGUISED_NUMBER = re.compile(r"(?<![\w|])(?=[\w|]*\d)[\dOoIlL|]{2,}(?![\w|])")


def _as_seen(text: str) -> str:
    """The text as a reader sees it: digits or letters written one by one ("3 0 0",
    "2-5-0", "h t t p") joined up (``unmask``), then digits disguised as letters made
    digits again ("3OO")."""
    return _DISGUISED_NUMBER.sub(
        lambda match: match.group().translate(_LETTER_DIGITS), unmask(text)
    )


def _has_link_but_not_an_email(text: str) -> bool:
    # An e-mail address is the e-mail rule's, not also a link to its domain.
    return has_link(without_emails(text))


# Each content rule with what breaks it, in the order a verdict lists them.
_RULES = (
    (GateRule.PRICE, has_price),
    (GateRule.ADDRESS, has_address),
    (GateRule.COORDINATES, has_coordinates),
    (GateRule.PHONE, has_phone),
    (GateRule.EMAIL, has_email),
    (GateRule.LINK, _has_link_but_not_an_email),
    (GateRule.HANDLE, has_handle),
    (GateRule.AI_PHRASE, sounds_like_ai),
)


# The longest reply anything may send: a workflow's maxChars and a correction stop here,
# and review refuses to send a longer one even with an override. The content rules read
# all of it, so whatever a person overrides (too_long included) was read; reading no
# further keeps their cost bounded (it grows with the text, the phone numbers library's
# most).
READ_CHARS = 4000


def check(text: str, *, max_chars: int, prompt_fragments=()) -> GateVerdict:
    """Runs every rule on ``text`` (the content rules on its first ``READ_CHARS``
    characters); the verdict lists the failed rules in a fixed order.

    ``prompt_fragments`` are prompt lines that must not appear in the reply.
    """
    text = text or ""
    if not normalise(text).strip():
        return GateVerdict(failed=(GateRule.EMPTY,))
    failed = []
    if len(text) > max_chars:
        failed.append(GateRule.TOO_LONG)
    seen = _as_seen(text[:READ_CHARS])
    failed.extend(rule for rule, breaks in _RULES if breaks(seen))
    if _leaks(seen, prompt_fragments):
        failed.append(GateRule.LEAKED_PROMPT)
    return GateVerdict(failed=tuple(failed))
