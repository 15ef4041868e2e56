"""Decide the next action: (move, thread state) -> template key, and the state after it.

The keys follow ../shared/MOVES.md: `out_of_area` pursues with a travel or outcall offer,
and declines only where travel is not viable (a place in OUT_OF_AREA_DECLINED_PLACES);
`escalate` and `personal` are held for her by Gate-2 whatever the key.
"""

import re
from dataclasses import dataclass

from django.conf import settings

from builder.taxonomy import ThreadState
from core.untrusted import normalise

ANY_STATE = "*"

# (move, state) -> template key; None means no reply is drafted (the message is recorded).
# The most specific row wins: an exact state before ANY_STATE.
NEXT_ACTION: dict[tuple[str, str], str | None] = {
    ("opener", ThreadState.NEW): "opener.welcome",
    ("opener", ANY_STATE): "opener.followup",
    ("pursue", ANY_STATE): "pursue.next_step",
    ("subhour", ANY_STATE): "subhour.minimum",
    ("address", ANY_STATE): "address.after_confirmation",
    ("out_of_area", ANY_STATE): "out_of_area.travel",
    ("of", ANY_STATE): "of.redirect",
    ("disengage", ANY_STATE): "disengage.close",
    ("escalate", ANY_STATE): "escalate.handoff",
    ("existing_client", ANY_STATE): "existing_client.ack",
    ("personal", ANY_STATE): "personal.handoff",
    ("vendor", ANY_STATE): "vendor.decline",
    ("spam", ANY_STATE): None,
}

# The key a move takes instead when what it would offer is not viable.
NOT_VIABLE: dict[str, str] = {"out_of_area": "out_of_area.decline"}

STATE_AFTER_MOVE = {"disengage": ThreadState.CLOSED, "spam": ThreadState.CLOSED}


@dataclass(frozen=True)
class NextAction:
    template_key: str | None
    next_state: str

    @property
    def drafts_reply(self) -> bool:
        return self.template_key is not None


def decide_next_action(*, move: str, state: str, viable: bool = True) -> NextAction:
    key = (move, state) if (move, state) in NEXT_ACTION else (move, ANY_STATE)
    if key not in NEXT_ACTION:
        raise ValueError(f"No next action for move '{move}'.")
    next_state = STATE_AFTER_MOVE.get(
        move, ThreadState.ENGAGED if state == ThreadState.NEW else state
    )
    template_key = NEXT_ACTION[key] if viable else NOT_VIABLE.get(move, NEXT_ACTION[key])
    return NextAction(template_key=template_key, next_state=next_state)


def travel_viable(body: str) -> bool:
    """False when the message names a place she does not travel to."""
    text = normalise(body)
    return not any(
        re.search(rf"\b{re.escape(place)}\b", text, re.IGNORECASE)
        for place in settings.OUT_OF_AREA_DECLINED_PLACES
    )


def template_keys_in_use() -> set[str]:
    return {key for key in [*NEXT_ACTION.values(), *NOT_VIABLE.values()] if key}
