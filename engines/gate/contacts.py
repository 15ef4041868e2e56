"""The gate's contact rules: a reply never gives a phone number, an e-mail address, a
street or hotel-room address, or map coordinates, however it is written.

Every rule reads the text as the gate sees it (``engines.gate.reply_gate._as_seen``: normalised,
digits disguised as letters made digits again). Phone numbers are also read with number
words next to digits written as digits ("seven7oh0", "five five five 0132").
"""

import re

import phonenumbers
from django.conf import settings

_PHONE_CANDIDATE = re.compile(r"(?<![\w:])\+?\(?\d[\d\s().\-/]{5,}\d(?![\w:])")
_DATE_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$|^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$")
_TIME_RANGE = re.compile(r"^\d{1,2}[.:]\d{2}\s*[-–]\s*\d{1,2}[.:]\d{2}$")
_MIN_PHONE_DIGITS = 7

_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_DIGIT_WORD = "|".join(_DIGIT_WORDS)
# A number word glued to a digit, or next to one: "seven7oh0", "9 nine00", "555 0132 two".
_WORD_BY_DIGIT = re.compile(
    rf"(?<=\d)[\s-]?({_DIGIT_WORD})\b|\b({_DIGIT_WORD})(?=[\s-]?\d)|(?<=\d)({_DIGIT_WORD})"
)
# A number read out word by word, in any of the five languages: "five five five, one two
# three", "zéro six, douze, trente-quatre", "null eins sieben".
_SPOKEN_NUMBERS = frozenset(
    " ".join(
        (
            "zero oh one two three four five six seven eight nine ten eleven twelve",
            "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce",
            "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze "
            "quinze seize vingt trente quarante cinquante soixante",
            "null eins zwei drei vier fünf funf sechs sieben acht neun zehn",
            "um dois três tres quatro cinco seis sete oito nove dez",
        )
    ).split()
)
_SPOKEN = "|".join(sorted(_SPOKEN_NUMBERS, key=len, reverse=True))
_PHONE_WORDS = re.compile(rf"\b(?:(?:{_SPOKEN})(?:-(?:{_SPOKEN}|et|y))*\b[\s,.-]*){{6,}}")
_MIN_SPOKEN_DIGITS = 6
_WORDS = re.compile(r"[^\W\d_]+")


def _may_hold_a_number(text: str) -> bool:
    """Cheap: enough digits and number words for a phone number. Most replies have
    neither, and the full rules cost a tenth of a millisecond."""
    digits = sum(char.isdigit() for char in text)
    spoken = sum(word in _SPOKEN_NUMBERS for word in _WORDS.findall(text))
    return digits + spoken >= _MIN_SPOKEN_DIGITS


def _digit_words_to_digits(text: str) -> str:
    # Each pass turns the words that touch a digit into digits, so a run of them is read
    # from the digits outwards: "five five five 0132" -> "5 5 5 0132".
    while True:
        replaced = _WORD_BY_DIGIT.sub(
            lambda match: _DIGIT_WORDS[next(group for group in match.groups() if group).lower()],
            text,
        )
        if replaced == text:
            return text
        text = replaced


# How many number-like stretches the library parses and validates (its default, 65,535,
# let a text of "40.1 40.1 ..." take 90 ms here). A reply has a handful; past this many,
# the run-of-digits fallback below still reads every one.
PHONE_CANDIDATES_PARSED = 100


def has_phone(text: str) -> bool:
    text = text.lower()
    if not _may_hold_a_number(text):
        return False
    if _PHONE_WORDS.search(text):
        return True
    digits = _digit_words_to_digits(text)
    if sum(char.isdigit() for char in digits) < _MIN_PHONE_DIGITS:
        return False
    # The library knows every country's formats (with a "+", or the home region's own);
    # the run of digits below is the fallback for another country's national format.
    matcher = phonenumbers.PhoneNumberMatcher(
        digits,
        settings.GATE_PHONE_REGION,
        leniency=phonenumbers.Leniency.VALID,
        max_tries=PHONE_CANDIDATES_PARSED,
    )
    if matcher.has_next():
        return True
    for match in _PHONE_CANDIDATE.finditer(digits):
        candidate = match.group().strip()
        count = sum(char.isdigit() for char in candidate)
        if _MIN_PHONE_DIGITS <= count <= 15 and not (
            _DATE_LIKE.match(candidate) or _TIME_RANGE.match(candidate)
        ):
            return True
    return False


# "@" and "." spelled out, in the five languages: "[at]", "arroba", "(point)", "punkt".
_AT = r"\s*[\[({]\s*(?:at|arroba|arobase|bei)\s*[\])}]\s*|\s+(?:at|arroba|arobase)\s+|\s*@\s*"
_SPELLED_DOT = (
    r"\s*[\[({]\s*(?:dot|punto|point|punkt|ponto)\s*[\])}]\s*|\s+(?:dot|punto|point|punkt|ponto)\s+"
)
# Spelled out, a dot is only read before a suffix an address ends in: "me at the point of"
# is English.
_MAIL_SUFFIXES = r"com|net|org|info|me|io|co|de|fr|es|pt|br|it|uk|eu|ch|at|nl|ru"
# Words before a spelled "at" that say where something is, not whose address it is:
# "my profile is at anna.co.uk" is a link.
_NOT_A_MAILBOX = r"(?:is|are|me|you|us|it|am|here|there|page|site|profile|form|link|all)\b"
# A mailbox is read once, from the start of its run of address characters
# (``_MAILBOX``): started again at each character of "a1a1a1…" it would read the rest of
# the run each time, quadratic in the run's length. Possessive, since nothing after it
# ("@", a space, a bracket) is an address character.
_MAILBOX = r"(?<![\w.+-])[\w.+-]++"
EMAIL_PATTERNS = [
    re.compile(rf"{_MAILBOX}@[\w-]++(?:\.[\w-]++)+"),
    # With a real "@", spaces around the dot change nothing: "kate @ icloud . com".
    re.compile(rf"{_MAILBOX}\s*@\s*[a-z][\w-]*+\s*\.\s*(?:{_MAIL_SUFFIXES})\b"),
    # A bare "." must touch the domain: with spaces, "see you at 8. Bye" would read as
    # "you" at "8" dot "Bye". The mailbox starts at the run's first word boundary that
    # is not one of those words (atomic: found once, not again from each later one).
    re.compile(
        rf"(?<![\w.+-])(?>[\w.+-]*?\b(?!{_NOT_A_MAILBOX}))[\w.+-]++(?:{_AT})[a-z][\w-]*+"
        rf"(?:(?:{_SPELLED_DOT})(?:{_MAIL_SUFFIXES})\b|\.[a-z]{{2,6}}\b)",
    ),
]
# A provider named, then a user name: "my gmail is anna.k22", "proton mail annak".
# Words that are everyday English too ("outlook", "live", "mail") count only with a
# user name that looks like one.
_PROVIDERS = r"g\s?mail|hotmail|yahoo|proton\s?mail|proton|icloud|aol|gmx|yandex|zoho|tutanota"
_USER_NAME = r"[a-z][\w.+-]*(?:\d|[._+-]\w)[\w.+-]*"
_SAYS = r"(?:\s+(?:address|account|id))?\s*(?:\bis\b|\bes\b|\best\b|\bist\b|\bé\b|:|=|-)?\s*"
# What follows a provider's name in a sentence that gives no address.
_NOT_A_USER = (
    r"(?:is|are|was|the|a|an|and|or|to|for|me|my|your|it|app|account|address|inbox|works|"
    r"down|again|too|later|today|tomorrow|y|o|et|ou|und|oder|e|es|est|ist|é|de|da|do|no|na)\b"
)
_PROVIDER_EMAIL = re.compile(
    rf"\b(?:{_PROVIDERS})\b{_SAYS}(?!{_NOT_A_USER})@?[a-z]\w{{2,}}"
    rf"|\b(?:outlook|live|mail)\b{_SAYS}@?{_USER_NAME}",
)


def has_email(text: str) -> bool:
    # The patterns are written in lower case: matching without re.I is twice as fast.
    text = text.lower()
    return any(pattern.search(text) for pattern in EMAIL_PATTERNS) or bool(
        _PROVIDER_EMAIL.search(text)
    )


def without_emails(text: str) -> str:
    """``text`` with its e-mail addresses blanked out, its case kept."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a letter whose lower case is longer ("İ")
        text = lowered
    for pattern in EMAIL_PATTERNS:
        for match in pattern.finditer(lowered):
            start, end = match.span()
            text = text[:start] + " " * (end - start) + text[end:]
    return text


# Only words that name a street: "way", "place" and "drive" are everyday English too.
_STREET_TYPES = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|court|ct|terrace|parkway|pkwy|"
    r"highway|hwy|strasse|straße|rue|calle"
)
# Streets named before their number: "Rua Augusta 100", "Calle Mayor 7", "Via Roma 3".
_STREETS_BEFORE_NUMBER = r"rua|avenida|av\.|calle|paseo|plaza|praça|travessa|via|viale|piazza"
# A room in a hotel, in the five languages: "room 512", "habitación 305", "Zimmer 12".
_ROOMS = (
    r"suite|ste|apt|apto|dpto|depto|apartment|unit|room|flat|habitaci[oó]n|cuarto|chambre|"
    r"zimmer|quarto|"
    r"apartamento|appartement|wohnung"
)
_ADDRESS_PATTERNS = [
    re.compile(rf"\b\d{{1,5}}[a-z]?\s+(?:[A-Za-z][\w.'-]*\s+){{0,4}}(?:{_STREET_TYPES})\b", re.I),
    re.compile(rf"\b(?:{_ROOMS})\s*(?:n[ or°º.]+\s*)?#?\s*\d+[a-z]?\b", re.I),
    # The number after the street: "Hauptstraße 12", "Lindenweg 3", "Calle Mayor 7".
    re.compile(r"\b\w+(?:strasse|straße|gasse|str\.|weg|allee|platz)\s*\d{1,4}\b", re.I),
    re.compile(rf"\b(?:{_STREETS_BEFORE_NUMBER})\s+(?:[\w'-]+[\s,]+){{1,3}}\d{{1,4}}\b", re.I),
    # A named street without a number: "I'm on Baker Street" (capitalised, so "down the
    # road" passes).
    re.compile(rf"\b(?i:on|at|in|near|off)\s+(?:[A-Z][\w'-]*\s+){{1,3}}(?i:{_STREET_TYPES})\b\.?"),
    # Postcodes: British "NW1 6XE", American "CA 90210".
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b"),
]


def has_address(text: str) -> bool:
    return any(pattern.search(text) for pattern in _ADDRESS_PATTERNS)


_DEGREES = r"-?\d{1,3}(?:\.\d+)?\s*°"
_COORDINATE_PATTERNS = [
    # Decimal pairs as maps print them: "40.7128, -74.0060".
    re.compile(r"(?<![\d.])-?\d{1,3}\.\d{3,}\s*°?\s*[NS]?\s*[,;/ ]\s*-?\d{1,3}\.\d{3,}"),
    # Degrees with a hemisphere: "51.5074° N", "48°51'24\"N".
    re.compile(
        rf"{_DEGREES}\s*(?:\d{{1,2}}\s*['′]\s*(?:\d{{1,2}}(?:\.\d+)?\s*[\"″]?)?)?\s*[NSEW]\b"
    ),
    re.compile(r"\b(?:lat|latitude|lon|lng|long|longitude)\b\s*[:=]?\s*-?\d{1,3}\.\d{2,}", re.I),
]


def has_coordinates(text: str) -> bool:
    return any(pattern.search(text) for pattern in _COORDINATE_PATTERNS)
