"""The validation gate: deterministic rules every draft body passes before it may be sent.

Each rule is named; a failure names the rules that failed. The rules must not flag
ordinary replies: times ("3pm", "7:30"), dates ("the 21st"), durations ("2 hours") and
small talk pass, while euphemistic or spelled-out prices, obfuscated e-mail addresses and
international phone numbers are caught.

The rules read the text as a person would see it (``_as_seen``): the one normalisation of
untrusted text (``engines.untrusted.normalise``: invisible characters dropped, NFKC,
look-alike letters folded to plain Latin ones), and digits spaced out one by one joined
up again, so "＄３００", "3 0 0 an hour" or "Bаker Street"
with a Cyrillic "а" cannot slip past a rule that the plain spelling fails.
"""

import re
from dataclasses import dataclass

from django.db import models

from engines.gate_links import has_handle, has_link
from engines.untrusted import normalise


class GateRule(models.TextChoices):
    EMPTY = "empty", "Empty body"
    TOO_LONG = "too_long", "Longer than allowed"
    PRICE = "price", "Mentions a price or amount"
    ADDRESS = "address", "Gives an address"
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


_NUMBER_WORDS = (
    r"a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|forty|fifty|sixty|seventy|eighty|ninety|a\s+couple|a\s+few|several"
)
_CURRENCY_CODES = r"usd|eur|gbp|cad|aud|chf|jpy|inr"
_MONEY_WORDS = (
    rf"{_CURRENCY_CODES}|dollars?|euros?|pounds?|francs?|yen|rupees?|bucks|quid|roses|flowers|"
    r"bills|grand|donations?|tributes?"
)
# Amounts a price is quoted in that are not times of day: "300", "fifty", "three hundred".
_AMOUNT = r"\d{2,}|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand)\b"
# What a price is "for": "300 for the hour", "250/hr", "fifty an hour", "400 nightly".
_PRICED_UNIT = r"hours?|hrs?|h|nights?|evenings?|sessions?|weekends?|overnight"
# Every currency sign: $ ¢ £ ¥ and the Unicode currency block (€ ₹ ₽ ₺ ₿ ...).
_CURRENCY_SIGNS = "[$¢£¥\u20a0-\u20cf]"
_PRICE_PATTERNS = [
    re.compile(rf"{_CURRENCY_SIGNS}\s*\d|\d\s*{_CURRENCY_SIGNS}"),
    re.compile(rf"\b\d[\d,.]*\s*k?\s*(?:{_MONEY_WORDS})\b", re.I),
    # The code before the amount: "EUR 250", "USD300".
    re.compile(rf"\b(?:{_CURRENCY_CODES})\s*\d", re.I),
    re.compile(r"\b\d+(?:\.\d+)?\s*k\b", re.I),
    re.compile(rf"\b(?:{_NUMBER_WORDS}|\d+)[\s-]+(?:hundred|thousand|grand)\b", re.I),
    # "at 10 for an hour" and "from 10 for the evening" are times, not prices.
    re.compile(
        rf"(?<!\bat\s)(?<!\bfrom\s)\b(?:{_AMOUNT})\s*(?:/|per|an?|for)\s*(?:(?:the|an?|one|1)\s+)?"
        rf"(?:{_PRICED_UNIT})\b|\b\d{{2,}}\s*(?:hourly|nightly)\b",
        re.I,
    ),
    re.compile(rf"\b(?:{_NUMBER_WORDS}|hundred|thousand)[\s-]+(?:{_MONEY_WORDS})\b", re.I),
    re.compile(
        r"\b(?:rate|rates|price|prices|fee|fees|cost|costs|donation|charge|charges|deposit)\b"
        rf"[^.\n]{{0,24}}(?:{_AMOUNT})(?!\s*(?:am|pm|h\b|hours?|min))",
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
    # The number after the street: "Hauptstraße 12", "Calle Mayor 7".
    re.compile(r"\b(?:\w*(?:strasse|straße|gasse|str\.)|calle\s+\w+)\s*\d{1,4}\b", re.I),
    # A named street without a number: "I'm on Baker Street" (capitalised, so "down the
    # road" passes).
    re.compile(rf"\b(?i:on|at|in|near|off)\s+(?:[A-Z][\w'-]*\s+){{1,3}}(?i:{_STREET_TYPES})\b\.?"),
    # Postcodes: British "NW1 6XE", American "CA 90210".
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b"),
]

_EMAIL_PATTERNS = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    # A bare "." must touch the domain: with spaces, "see you at 8. Bye" would read as
    # "you" at "8" dot "Bye".
    re.compile(
        r"\b[\w.+-]+\s*(?:\[at\]|\(at\)|\{at\}|\s+at\s+|@)\s*[a-z][\w-]*"
        r"(?:\s*(?:\[dot\]|\(dot\)|\{dot\})\s*|\s+dot\s+|\.)[a-z]{2,6}\b",
        re.I,
    ),
]

_PHONE_CANDIDATE = re.compile(r"(?<![\w:])\+?\(?\d[\d\s().\-/]{5,}\d(?![\w:])")
# A number read out digit by digit: "five five five, one two three, four five six seven".
_PHONE_WORDS = re.compile(
    r"\b(?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b[\s,.-]*){7,}", re.I
)
_DATE_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$|^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$")
_TIME_RANGE = re.compile(r"^\d{1,2}[.:]\d{2}\s*[-–]\s*\d{1,2}[.:]\d{2}$")

_AI_PHRASES = re.compile(
    r"\bas an ai\b|\bi(?:'m| am) an ai\b|\blanguage model\b|\bi can(?:'|no)?t "
    r"(?:help|assist|provide|comply|do that)\b|\bi(?:'m| am) (?:unable|not able) to\b|"
    r"\bi(?:'m| am) sorry,? but\b|\bi apologi[sz]e,? but\b|"
    # A switched persona or a model talking about its prompt (prompt-injection replies).
    r"\bchat-?gpt\b|\bopenai\b|\bas (?:your|an?) (?:virtual |digital |ai )?assistant\b|"
    r"\bi(?:'m| am) (?:just |only )?(?:your |an? )?(?:virtual |digital |ai )?"
    r"(?:assistant|chatbot|bot)\b|\b(?:trained|created|developed) by (?:google|openai|meta)\b|"
    r"\bsystem prompt\b|\bmy (?:programming|guidelines)\b|"
    r"\bi(?:'ve| have| was|'m| am) (?:been )?(?:instructed|programmed)\b",
    re.I,
)


_STEP_LABELS = re.compile(
    r"(?im)^\s*(?:step\s*\d+|notes from step\s*\d*|think|draft|reply|answer|situation|system|user)"
    r"\s*[:#]|^\s*##\s|<output of step|\[/?data [0-9a-f]+\]|"
    # Chat-template markers: Gemma 3 270M, told to drop its persona, answered "<<SYS]".
    r"<<\s*/?\s*sys\b|\[/?inst\]|<\|[\w-]+\|>|<(?:start|end)_of_turn>"
)


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", text.lower())) + " "


def _leaks(text: str, fragments) -> bool:
    # Compared word by word: an echoed prompt line still leaks when the model re-wraps
    # it, changes its case or drops its full stop.
    words = _words(text)
    return bool(_STEP_LABELS.search(text)) or any(
        _words(_as_seen(f)) in words for f in fragments if f.strip()
    )


_SPACED_DIGITS = re.compile(r"\b\d(?:[ .-]\d\b){2,}")


def _as_seen(text: str) -> str:
    """The text as a reader sees it (normalised), and digits written one by one
    ("3 0 0", "2-5-0") joined up."""
    return _SPACED_DIGITS.sub(lambda match: re.sub(r"\D", "", match.group()), normalise(text))


def _has_phone(text: str) -> bool:
    if _PHONE_WORDS.search(text):
        return True
    for match in _PHONE_CANDIDATE.finditer(text):
        candidate = match.group().strip()
        digits = sum(ch.isdigit() for ch in candidate)
        if 7 <= digits <= 15 and not (_DATE_LIKE.match(candidate) or _TIME_RANGE.match(candidate)):
            return True
    return False


def _without(patterns: list[re.Pattern], text: str) -> str:
    for pattern in patterns:
        text = pattern.sub(" ", text)
    return text


def _any(patterns: list[re.Pattern], text: str) -> bool:
    return any(pattern.search(text) for pattern in patterns)


def check(text: str, *, max_chars: int, prompt_fragments=()) -> GateVerdict:
    """Runs every rule on ``text``; the verdict lists the failed rules in a fixed order.

    ``prompt_fragments`` are prompt lines that must not appear in the reply.
    """
    seen = _as_seen(text or "")
    if not seen.strip():
        return GateVerdict(failed=(GateRule.EMPTY,))
    failed = []
    if len(text) > max_chars:
        failed.append(GateRule.TOO_LONG)
    text = seen
    if _any(_PRICE_PATTERNS, text):
        failed.append(GateRule.PRICE)
    if _any(_ADDRESS_PATTERNS, text):
        failed.append(GateRule.ADDRESS)
    if _has_phone(text):
        failed.append(GateRule.PHONE)
    if _any(_EMAIL_PATTERNS, text):
        failed.append(GateRule.EMAIL)
    # An e-mail address is the e-mail rule's, not also a link to its domain.
    if has_link(_without(_EMAIL_PATTERNS, text)):
        failed.append(GateRule.LINK)
    if has_handle(text):
        failed.append(GateRule.HANDLE)
    if _AI_PHRASES.search(text):
        failed.append(GateRule.AI_PHRASE)
    if _leaks(text, prompt_fragments):
        failed.append(GateRule.LEAKED_PROMPT)
    return GateVerdict(failed=tuple(failed))
