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
_DOT = (
    r"\.|\s*(?:\[\s*\.\s*\]|\(\s*\.\s*\)|\[\s*dot\s*\]|\(\s*dot\s*\)|\{\s*dot\s*\})\s*"
    r"|\s+dot\s+"
)
# Spelled out with spaces, a "dot" is only a link before a short suffix: "polka dot dress"
# is clothing, "anna dot com" is not.
_SPACED_SUFFIX_CHARS = 3
_SCHEME = re.compile(r"\b(?:h[tx]{2}ps?|ftp)\s*(?::|\[:\])\s*/\s*/|\bwww" + rf"(?:{_DOT})", re.I)
_MARKDOWN_LINK = re.compile(r"\[[^\]\n]{1,80}\]\(\s*[^)\s]{3,}\s*\)")
_BARE_DOMAIN = re.compile(rf"\b([a-z0-9][a-z0-9-]{{0,62}})({_DOT})([a-z]{{2,24}})\b", re.I)

_CHANNELS = (
    r"telegram|tg|whats\s*app|wa|signal|snap\s*chat|snap|insta\s*gram|insta|ig|kik|wickr|"
    r"wechat|viber|line|threema|session|discord|onlyfans|fansly|twitter|x|tiktok|facebook|fb|"
    r"messenger|cash\s*app|venmo|paypal|zelle|revolut|skrill|wise"
)
_HANDLE_PATTERNS = [
    # "@anna_k", not an e-mail address ("anna@mail.com" is the e-mail rule's).
    re.compile(r"(?<![\w.@])@[a-z_][a-z0-9_.]{1,30}(?![\w@]*(?:\.[a-z]{2,}))", re.I),
    re.compile(
        r"\b(?:add|text|dm|message|msg|hit|find|contact|reach|write|ping|follow|call|pay|send)"
        rf"\s+(?:me|us|it)\s+(?:on|at|via|through|over|in)\s+(?:{_CHANNELS})\b",
        re.I,
    ),
    re.compile(
        r"\b(?:move|switch|talk|chat|continue|let'?s go)\s+(?:this\s+|it\s+)?(?:to|on|over to)\s+"
        rf"(?:{_CHANNELS})\b",
        re.I,
    ),
    # A channel with a handle after it: "snap: anna.k", "cashapp $annak", "tg @anna".
    re.compile(rf"\b(?:{_CHANNELS})\b\s*(?:is|id|handle|name|:|=|-)?\s*[@$][a-z0-9_.]{{2,}}", re.I),
    re.compile(rf"\bmy\s+(?:{_CHANNELS})\s+(?:is|id|handle|name)\b", re.I),
]


def has_link(text: str) -> bool:
    if _SCHEME.search(text) or _MARKDOWN_LINK.search(text):
        return True
    for match in _BARE_DOMAIN.finditer(text):
        name, separator, suffix = match.groups()
        if " dot " in f" {separator.lower()} " and len(suffix) > _SPACED_SUFFIX_CHARS:
            continue
        found = _EXTRACT(f"{name}.{suffix}")
        if found.domain and found.suffix:
            return True
    return False


def has_handle(text: str) -> bool:
    return any(pattern.search(text) for pattern in _HANDLE_PATTERNS)
