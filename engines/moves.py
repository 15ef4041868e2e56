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
