"""The classifier's moves and the is_prospect <-> move invariant, from configuration."""

from django.conf import settings


def prospect_moves() -> tuple[str, ...]:
    return tuple(settings.PROSPECT_MOVES)


def not_prospect_moves() -> tuple[str, ...]:
    return tuple(settings.NOT_PROSPECT_MOVES)


def all_moves() -> tuple[str, ...]:
    return prospect_moves() + not_prospect_moves()


def is_prospect_move(move: str) -> bool:
    """True for a prospect move; ValueError for a move that is not configured at all."""
    if move in prospect_moves():
        return True
    if move in not_prospect_moves():
        return False
    raise ValueError(f"Unknown move '{move}'.")


def invariant_holds(*, is_prospect: bool, move: str) -> bool:
    """is_prospect is false iff the move is a not-a-prospect move."""
    return move in all_moves() and is_prospect == is_prospect_move(move)


# Each move's name and one-line meaning, as ../shared/MOVES.md gives them: what people read
# wherever a move is shown or chosen.
MOVE_WORDS: dict[str, tuple[str, str]] = {
    "opener": ("Opener", "a first hello or general interest, no specifics yet"),
    "pursue": ("Pursue", "real booking interest: a rate, a day, availability, how it works"),
    "subhour": ("Under an hour", "asks for less than an hour (a half-hour or 20-minute rate)"),
    "address": ("Address", "asks for the address before a time is confirmed"),
    "out_of_area": ("Out of area", "the sender is in, or asks about, another city"),
    "of": ("Free content", "wants free content, or cannot afford a booking"),
    "disengage": ("Disengage", "a lowballer, a hostile sender, or one offering himself for free"),
    "escalate": ("Escalate", "a photographer, a collaboration, a business opportunity"),
    "existing_client": ("Existing client", "already a client: a booking in progress"),
    "personal": ("Personal", "friend, family, anything not about work"),
    "vendor": ("Vendor", "someone selling her a service: ads, hotels, rideshare, a salon"),
    "spam": ("Spam", "a bot, marketing, a scam, a wrong number"),
}


def move_name(move: str) -> str:
    return MOVE_WORDS.get(move, (move, ""))[0]


def move_meaning(move: str) -> str:
    return MOVE_WORDS.get(move, ("", ""))[1]
