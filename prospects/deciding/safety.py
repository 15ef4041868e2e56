"""Gate-2's safety screen: does a message concern a minor, law enforcement, a threat or
self-harm? Such a message is held for a person whatever its move, and its thread
remembers it (``prospects.deciding.safety_memory``).

The rules (``safety_terms.yaml``) read two views of the body: the normalised text that
every rule reads, and an unmasked one in which words spelled out one character at a
time are joined and digits standing for letters read as letters (both from
``core.untrusted``, which the reply gate shares), and number words read as digits.
A sender who writes "s1xteen", "s i x t e e n", "sechzehn" or "1\u034f6" is read as
writing "16".

Number words come from ``text2num`` (``alpha2digit``): it knows English, Spanish,
French, German and Portuguese, compounds included ("dix-sept", "fünfundzwanzig",
"dezesseis"), and reads "sixteen hundred" as 1600, not as an age; hand tables would
have to learn each language's compounding rules again.
"""

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from text_to_num import alpha2digit

from core.untrusted import normalise, unmask

SAFETY_TERMS_FILE = Path(__file__).with_name("safety_terms.yaml")
NUMBER_WORD_LANGUAGES = ("en", "es", "fr", "de", "pt")
NOT_SAFETY = "not_safety"

# An age under 18 ("1 7": its digits spaced out too).
AGE = r"(?:1 ?[0-7]|[1-9])"
# What makes the number before it a time, a price, a size or a count, not an age.
NOT_A_MEASURE = (
    r"(?!\s*(?:[:.,'’h]\s*\d|\d|%|€|\$|[ºª°]"
    r"|(?:min|mins|minutes?|minutos?|minuten|secs?|seconds?|hours?|hrs?|horas?|heures?"
    r"|stunden?|std|uhr|h|km|kms|miles?|blocks?|stops?|floors?|doors?|euros?|dollars?"
    r"|bucks|reais|pm|am|a\.m|p\.m|o'?clock|ft|feet|foot|inch(?:es)?|cm|m|kg|kilos?|lbs?"
    r"|pounds?|people|persons?|personas|pessoas|personnes|leute|guys|of|to|x|th|st|nd|rd"
    r"|e|er|messages?|mensajes|mensagens|nachrichten|times|veces|vezes|fois|mal|days?"
    r"|d[ií]as|jours?|tagen?|tage|weeks?|semanas?|semaines?|wochen?|months?|meses|mois"
    r"|monaten?|away|late|early|out|sharp|tomorrow|tonight|today|spots?|slots?"
    r"|years?\s+(?:ago|in|at|of|with|experience))\b"
    # German ordinals: "im 3. Stock", "am 16. Mai".
    r"|\.\s*(?:stock|etage|og|jahrhundert|klasse|platz|bezirk|januar|februar|m[äa]rz|april"
    r"|mai|juni|juli|august|september|oktober|november|dezember)\b))"
)


@dataclass(frozen=True)
class SafetyFinding:
    category: str
    words: str

    def __str__(self) -> str:
        return f"{self.category}: '{self.words}'"


def _expand(pattern: str) -> str:
    return pattern.replace("{age}", AGE).replace("{not_a_measure}", NOT_A_MEASURE)


@cache
def _rules() -> tuple[re.Pattern, dict[str, re.Pattern]]:
    """The phrases that are not about safety, and category -> one pattern of its rules."""
    data = yaml.safe_load(SAFETY_TERMS_FILE.read_text(encoding="utf-8"))
    not_safety = re.compile("|".join(f"(?:{phrase})" for phrase in data.pop(NOT_SAFETY)), re.I)
    categories = {
        category: re.compile("|".join(f"(?:{_expand(rule)})" for rule in rules))
        for category, rules in data.items()
    }
    return not_safety, categories


# The category rules are written in lower case and read a lower-case copy of each view:
# without re.I they match about three times as fast. "İ" and "ı", which re.I reads as "i",
# become "i" first, so each character keeps its place ("İ".lower() is two) and the words
# are cut from the view itself, case and all.
_DOTTED_AND_DOTLESS_I = str.maketrans("İı", "ii")


def _lower_case(view: str) -> str:
    return view.translate(_DOTTED_AND_DOTLESS_I).lower()


def _numbers_as_digits(text: str) -> str:
    for language in NUMBER_WORD_LANGUAGES:
        text = alpha2digit(text, language)
    return text


def safety_views(body: str) -> tuple[str, ...]:
    """What the rules read: the normalised body, and the body unmasked with its number
    words as digits; phrases that only look like safety words taken out of both."""
    not_safety, _ = _rules()
    # As much as an inbound message may hold, so no message is cut; whatever else calls
    # the screen, its time stays bounded.
    body = body[: settings.INBOUND_MAX_BODY_CHARS]
    plain = normalise(body)
    unmasked = _numbers_as_digits(unmask(body, letters_for_digits=True))
    return tuple(not_safety.sub(" ", view) for view in (plain, unmasked))


@lru_cache(maxsize=256)
def safety_findings(body: str) -> tuple[SafetyFinding, ...]:
    """Each category the body concerns, with the words that showed it, once each. Cached:
    ingest asks once for Gate-2 and once for the thread's memory."""
    _, categories = _rules()
    # Most messages read the same in both views: each distinct one is searched once.
    views = [(view, _lower_case(view)) for view in dict.fromkeys(safety_views(body))]
    findings = []
    for category, pattern in categories.items():
        found = next(
            (
                view[match.start() : match.end()]
                for view, lower in views
                if (match := pattern.search(lower))
            ),
            None,
        )
        if found:
            findings.append(SafetyFinding(category, found.strip()))
    return tuple(findings)
