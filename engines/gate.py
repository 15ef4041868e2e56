"""The validation gate: deterministic rules every draft body passes before it may be sent.

Each rule is named; a failure names the rules that failed. The rules must not flag
ordinary replies: times ("3pm", "7:30"), dates ("the 21st"), durations ("2 hours") and
small talk pass, while euphemistic or spelled-out prices, obfuscated e-mail addresses and
international phone numbers are caught.
"""

import re
from dataclasses import dataclass

from django.db import models


class GateRule(models.TextChoices):
    EMPTY = "empty", "Empty body"
    TOO_LONG = "too_long", "Longer than allowed"
    PRICE = "price", "Mentions a price or amount"
    ADDRESS = "address", "Gives an address"
    PHONE = "phone", "Gives a phone number"
    EMAIL = "email", "Gives an e-mail address"
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


_NUMBER_WORDS = (
    r"a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|forty|fifty|sixty|seventy|eighty|ninety|a\s+couple|a\s+few|several"
)
_MONEY_WORDS = (
    r"usd|eur|gbp|cad|aud|dollars?|euros?|pounds?|bucks|quid|roses|flowers|bills|grand|"
    r"donations?|tributes?"
)
_PRICE_PATTERNS = [
    re.compile(r"[$€£¥]\s*\d|\d\s*[$€£¥]"),
    re.compile(rf"\b\d[\d,.]*\s*k?\s*(?:{_MONEY_WORDS})\b", re.I),
    re.compile(r"\b\d+(?:\.\d+)?\s*k\b", re.I),
    re.compile(rf"\b(?:{_NUMBER_WORDS}|\d+)[\s-]+(?:hundred|thousand|grand)\b", re.I),
    re.compile(r"\b\d{2,}\s*(?:/|per|an?)\s*(?:hour|hr|h|night|session)\b", re.I),
    re.compile(rf"\b(?:{_NUMBER_WORDS}|hundred|thousand)[\s-]+(?:{_MONEY_WORDS})\b", re.I),
    re.compile(
        r"\b(?:rate|rates|price|prices|fee|fees|cost|costs|donation)\b[^.\n]{0,24}"
        r"\d{2,}(?!\s*(?:am|pm|h\b|hours?|min))",
        re.I,
    ),
]

# Only words that name a street: "way", "place" and "drive" are everyday English too.
_STREET_TYPES = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|court|ct|terrace|parkway|pkwy|"
    r"highway|hwy|strasse|straße|rue|calle"
)
_ADDRESS_PATTERNS = [
    re.compile(rf"\b\d{{1,5}}[a-z]?\s+(?:[A-Za-z][\w.'-]*\s+){{0,4}}(?:{_STREET_TYPES})\b", re.I),
    re.compile(r"\b(?:suite|ste|apt|apartment|unit|room|flat)\s*#?\s*\d+", re.I),
]

_EMAIL_PATTERNS = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    re.compile(
        r"\b[\w.+-]+\s*(?:\[at\]|\(at\)|\{at\}|\s+at\s+)\s*[\w-]+\s*"
        r"(?:\[dot\]|\(dot\)|\{dot\}|\s+dot\s+|\.)\s*[a-z]{2,6}\b",
        re.I,
    ),
]

_PHONE_CANDIDATE = re.compile(r"(?<![\w:])\+?\(?\d[\d\s().\-/]{5,}\d(?![\w:])")
_DATE_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$|^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$")
_TIME_RANGE = re.compile(r"^\d{1,2}[.:]\d{2}\s*[-–]\s*\d{1,2}[.:]\d{2}$")

_AI_PHRASES = re.compile(
    r"\bas an ai\b|\bi(?:'m| am) an ai\b|\blanguage model\b|\bi can(?:'|no)?t "
    r"(?:help|assist|provide|comply|do that)\b|\bi(?:'m| am) (?:unable|not able) to\b|"
    r"\bi(?:'m| am) sorry,? but\b",
    re.I,
)


_STEP_LABELS = re.compile(
    r"(?im)^\s*(?:step\s*\d+|notes from step\s*\d*|think|draft|reply|answer|situation|system|user)"
    r"\s*[:#]|^\s*##\s|<output of step"
)


def _leaks(text: str, fragments) -> bool:
    lowered = text.lower()
    return bool(_STEP_LABELS.search(text)) or any(f.lower() in lowered for f in fragments)


def _has_phone(text: str) -> bool:
    for match in _PHONE_CANDIDATE.finditer(text):
        candidate = match.group().strip()
        digits = sum(ch.isdigit() for ch in candidate)
        if 7 <= digits <= 15 and not (_DATE_LIKE.match(candidate) or _TIME_RANGE.match(candidate)):
            return True
    return False


def _any(patterns: list[re.Pattern], text: str) -> bool:
    return any(pattern.search(text) for pattern in patterns)


def check(text: str, *, max_chars: int, prompt_fragments=()) -> GateVerdict:
    """Runs every rule on ``text``; the verdict lists the failed rules in a fixed order.

    ``prompt_fragments`` are prompt lines that must not appear in the reply.
    """
    if not text or not text.strip():
        return GateVerdict(failed=(GateRule.EMPTY,))
    failed = []
    if len(text) > max_chars:
        failed.append(GateRule.TOO_LONG)
    if _any(_PRICE_PATTERNS, text):
        failed.append(GateRule.PRICE)
    if _any(_ADDRESS_PATTERNS, text):
        failed.append(GateRule.ADDRESS)
    if _has_phone(text):
        failed.append(GateRule.PHONE)
    if _any(_EMAIL_PATTERNS, text):
        failed.append(GateRule.EMAIL)
    if _AI_PHRASES.search(text):
        failed.append(GateRule.AI_PHRASE)
    if _leaks(text, prompt_fragments):
        failed.append(GateRule.LEAKED_PROMPT)
    return GateVerdict(failed=tuple(failed))
