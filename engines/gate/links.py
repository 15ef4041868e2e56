"""The gate's link and handle rules: a reply never sends a person to another place.

Links in any form: a scheme (also defanged, "hxxp"), "www.", a markdown link, or a bare
domain, also with its dot written "[.]", "(dot)" or " dot ". A bare domain counts only
when its suffix is a real public suffix, which `tldextract` decides from the Public
Suffix List snapshot it ships (``suffix_list_urls=()``: never fetched at run time), so
"3.30pm", "Mr.Smith" or "e.g" pass. Handles: "@name", and an invitation to move to
another channel or a payment app ("add me on telegram", "my snap is …", "cashapp $name").
"""

import re

import tldextract

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
_DOT_WORDS = r"dot|punto|point|punkt|ponto"
_DOT = rf"\.|\s*[\[({{]\s*(?:\.|{_DOT_WORDS})\s*[\])}}]\s*|\s+(?:{_DOT_WORDS})\s+"
_DOT_ANY_CASE = _DOT.replace(_DOT_WORDS, "(?i:" + _DOT_WORDS + ")")
# Spelled out with spaces, a dot is a link only before a suffix sites use, or after a
# name that is plainly a site's ("anna-vip", "lena22"): "polka dot dress" is clothing,
# "my point is" and "el punto de encuentro" are sentences, "anna dot com" is a link.
_SPELLED_SUFFIXES = frozenset(["com", "net", "org", "info", "biz", "me", "io", "co", "xyz"])
_SITE_NAME = re.compile(r"[-\d]")
_SPELLED_DOTS = frozenset(_DOT_WORDS.split("|"))
_SCHEME = re.compile(r"\b(?:h[tx]{2}ps?|ftp)\s*(?::|\[:\])\s*/\s*/|\bwww" + rf"(?:{_DOT})")
# The address stops at a "[": read past it, "[a]([a]([a](…" would be read to its end again
# from each label, quadratic. An address with one (an IPv6 host) has a scheme.
_MARKDOWN_LINK = re.compile(r"\[[^\]\n]{1,80}\]\(\s*[^)\s\[]{3,}\s*\)")
_BARE_DOMAIN = re.compile(
    rf"\b([a-zA-Z0-9][a-zA-Z0-9-]{{0,62}})({_DOT_ANY_CASE})([a-zA-Z]{{2,24}})\b"
)

_CHANNELS = (
    r"telegram|tg|whats\s*app|wa|signal|snap\s*chat|snap|insta\s*gram|insta|ig|kik|wickr|"
    r"wechat|viber|line|threema|session|discord|onlyfans|fansly|twitter|x|tiktok|facebook|fb|"
    r"messenger|cash\s*app|venmo|paypal|zelle|revolut|skrill|wise"
)
# Names that mean only the app, so a reply that names one with "on", "por", "sur", "auf"
# or "no" in front moves the talk there ("seguimos por WhatsApp").
_APPS = (
    r"telegram|whats\s*app|snap\s*chat|insta\s*gram|kik|wickr|wechat|viber|threema|discord|"
    r"onlyfans|fansly|cash\s*app|venmo|paypal|zelle|revolut"
)
_ON = r"on|via|over|por|en|al|sur|par|auf|über|per|no|na|pelo|pela|em"
# A user name that looks like one: "anna_private", "chloe.paris92".
_USER_NAME = r"@?[a-z][\w.-]*(?:\d|[._]\w)[\w.-]*"
_USER_NAME_WORDS = (
    r"user\s*name|username|handle|nutzername|benutzername|usuario|nombre de usuario|pseudo|"
    r"nom d'utilisateur|usuário|usuario"
)
_HANDLE_PATTERNS = [
    re.compile(rf"\b(?:{_ON})\s+(?:{_APPS})\b"),
    re.compile(rf"\b(?:{_APPS})\s+me\b"),
    # Money through an app to a user: "Zelle the deposit to annak22".
    re.compile(rf"\b(?:{_APPS})\b[^.\n]{{0,40}}\b(?:to|at)\s+{_USER_NAME}"),
    re.compile(rf"\b(?:{_CHANNELS})\s+(?:as|under)\s+{_USER_NAME}"),
    # "@anna_k", not an e-mail address ("anna@mail.com" is the e-mail rule's).
    re.compile(r"(?<![\w.@])@[a-z_][a-z0-9_.]{1,30}(?![\w@]*(?:\.[a-z]{2,}))"),
    re.compile(
        r"\b(?:add|text|dm|message|msg|hit|find|contact|reach|write|ping|follow|call|pay|send)"
        rf"\s+(?:me|us|it)\s+(?:on|at|via|through|over|in)\s+(?:{_CHANNELS})\b",
    ),
    re.compile(
        r"\b(?:move|switch|talk|chat|continue|let'?s go)\s+(?:this\s+|it\s+)?(?:to|on|over to)\s+"
        rf"(?:{_CHANNELS})\b",
    ),
    # A channel with a handle after it: "snap: anna.k", "cashapp $annak", "tg @anna".
    re.compile(rf"\b(?:{_CHANNELS})\b\s*(?:is|id|handle|name|:|=|-)?\s*[@$][a-z0-9_.]{{2,}}"),
    re.compile(rf"\bmy\s+(?:{_CHANNELS})\s+(?:is|id|handle|name)\b"),
    # A user name given as one, in the five languages: "mein Line-Name ist sofia_h",
    # "mi usuario es anna.k", "Nutzername: lenaB.77".
    re.compile(
        rf"\b(?:{_USER_NAME_WORDS}|(?:{_CHANNELS})[\s-]*(?:name|id))\s*(?:is|ist|es|est|é|:|=)\s*"
        rf"{_USER_NAME}",
    ),
]
# Every handle rule needs one of these words, an "@" or a "$": the rules run only then.
_HANDLE_WORDS = frozenset(
    word.lower()
    for alternative in f"{_CHANNELS}|{_APPS}|{_USER_NAME_WORDS}".split("|")
    for word in (re.split(r"\\s[*+]|\s", alternative)[0], re.sub(r"\\s[*+]", "", alternative))
)
_WORDS = re.compile(r"[^\W\d_]+")


def has_link(text: str) -> bool:
    if _SCHEME.search(text.lower()) or _MARKDOWN_LINK.search(text):
        return True
    for match in _BARE_DOMAIN.finditer(text):
        name, separator, suffix = match.groups()
        if separator.strip().lower() in _SPELLED_DOTS and not (
            suffix.lower() in _SPELLED_SUFFIXES or _SITE_NAME.search(name)
        ):
            continue
        # "soon.Love you": a full stop with no space before a capital, not a domain.
        if separator == "." and suffix[0].isupper() and suffix[1:].islower() and name.islower():
            continue
        found = _EXTRACT(f"{name}.{suffix}")
        if found.domain and found.suffix:
            return True
    return False


def has_handle(text: str) -> bool:
    # The patterns are written in lower case: matching without re.I is twice as fast.
    text = text.lower()
    if "@" not in text and "$" not in text and _HANDLE_WORDS.isdisjoint(_WORDS.findall(text)):
        return False
    return any(pattern.search(text) for pattern in _HANDLE_PATTERNS)
