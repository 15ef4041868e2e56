"""The words people read for each code the product stores: one label per code, on every
page, list, filter and confirmation. Pages show a stored code only through ``say``; the
browser walk checks that no page shows a code raw (``raw_codes``)."""

import re
from functools import cache

from builder.taxonomy import Archetype, ThreadState
from engines.gate.reply_gate import GateRule
from engines.holds import HoldReason, WaitReason
from engines.moves import MOVE_WORDS, move_name
from prospects.deciding.decision_gate import Gate2Rule
from prospects.deciding.next_action import template_keys_in_use
from prospects.models import Draft, DraftJob, DraftJobItem, Mode


@cache
def vocabulary() -> dict[str, dict[str, str]]:
    """kind -> code -> words."""
    return {
        "hold_reason": dict(HoldReason.choices),
        "wait_reason": dict(WaitReason.choices),
        "decision_gate": dict(Gate2Rule.choices),
        "reply_gate": dict(GateRule.choices),
        "move": {move: name for move, (name, _) in MOVE_WORDS.items()},
        "draft_status": dict(Draft.Status.choices),
        "job_status": dict(DraftJob.Status.choices),
        "item_status": dict(DraftJobItem.Status.choices),
        "mode": dict(Mode.choices),
        "archetype": dict(Archetype.choices),
        "thread_state": dict(ThreadState.choices),
    }


def say(kind: str, code: str) -> str:
    """The words for ``code``; a template key reads as its move and its action. An unknown
    code is shown as it is, so the browser walk's vocabulary check finds it."""
    if kind == "template_key":
        return template_key_words(code)
    return vocabulary()[kind].get(code, code)


def template_key_words(key: str) -> str:
    """``out_of_area.travel`` -> "Out of area: travel"."""
    move, _, action = (key or "").partition(".")
    if not action:
        return move_name(move)
    return f"{move_name(move)}: {action.replace('_', ' ')}"


def raw_codes(text: str) -> list[str]:
    """The stored codes ``text`` shows as they are: snake_case codes of any kind (a bare
    word such as "spam" is also English, so only codes that no sentence holds are looked
    for), template keys, and a Python dict or JSON path printed for a person."""
    codes = {code for words in vocabulary().values() for code in words if "_" in code}
    codes |= template_keys_in_use()
    found = [code for code in codes if re.search(rf"(?<![\w.-]){re.escape(code)}(?![\w-])", text)]
    found += re.findall(r"\{'[^']*':|\w+\[\d+\]\.\w+", text)
    return sorted(set(found))
