"""People's move labels for a move head to learn: made-up words, one move each, on threads of
both splits."""

from prospects.builds.tuning import Split, split_of
from prospects.inbound.ingest import inbound_ingest
from prospects.review.labels import move_label_correct
from tests.support.factories import make_inbound

# Words no rule knows, each standing for one move: the rules call every one of these
# messages an opener, a head that learned from the labels does not.
PATTERN = {
    "zorblat": "vendor",
    "quintex": "personal",
    "flumox": "spam",
    "harpine": "existing_client",
    "velmorn": "pursue",
}


def labelled(per_move: int, *, rotate_train: bool = False) -> list:
    """At least ``per_move`` labelled decisions for each word of the pattern, and more
    until each word has two on threads of the train split and one held out (threads are
    split by a hash of their random id). ``rotate_train``: on train threads, people gave
    the next word's move (bad labels), while the held-out ones stay right."""
    moves = list(PATTERN.values())
    decisions = []
    for word, move in PATTERN.items():
        splits = []
        while len(splits) < per_move or splits.count(Split.TRAIN) < 2 or Split.EVAL not in splits:
            decision = inbound_ingest(
                inbound=make_inbound(f"the {word} kind, case {len(splits)}")
            ).decision
            splits.append(split_of(decision.thread_id))
            given = move
            if rotate_train and splits[-1] == Split.TRAIN:
                given = moves[(moves.index(move) + 1) % len(moves)]
            move_label_correct(decision_id=decision.id, move=given, user=None)
            decisions.append(decision)
    return decisions
