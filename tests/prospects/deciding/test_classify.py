import pytest

from builder.taxonomy import ThreadState
from engines.moves import all_moves, invariant_holds
from prospects.deciding.classify import classify


@pytest.mark.parametrize(
    ("body", "move"),
    [
        ("Hi! saw your profile", "opener"),
        ("Are you available tomorrow evening?", "pursue"),
        ("Could we do half an hour?", "subhour"),
        ("What's your address?", "address"),
        ("Do you travel to Lyon?", "out_of_area"),
        ("Do you have an OnlyFans?", "of"),
        ("Never mind, not interested", "disengage"),
        ("I'm a photographer, would you model for a paid shoot?", "escalate"),
        ("You stuck up cow, nobody pays that", "disengage"),
        ("It's me again, as usual next week?", "existing_client"),
        ("Mom says dinner is at 7", "personal"),
        ("Our agency offers a photography package", "vendor"),
        ("Make money with crypto, click here", "spam"),
        # A hyphenated domain is read once from its first label, also past a glued word.
        ("deals at my_site-best-deals.com", "spam"),
        ("deals at --best-deals.com", "spam"),
    ],
)
def test_rules_pick_the_move(body, move):
    assert classify(body, thread_state=ThreadState.ENGAGED).move == move


def test_the_rules_read_the_first_characters_only():
    assert classify("mmm " * 300 + "crypto", thread_state=ThreadState.NEW).move == "opener"
    assert classify("crypto " + "mmm " * 300, thread_state=ThreadState.NEW).move == "spam"


def test_no_match_on_a_new_thread_is_an_opener():
    assert classify("mmm", thread_state=ThreadState.NEW).move == "opener"


def test_no_match_on_an_ongoing_thread_is_pursue():
    assert classify("mmm", thread_state=ThreadState.ENGAGED).move == "pursue"


@pytest.mark.parametrize("body", ["Hi", "crypto click here", "police", "as usual", "xyz"])
def test_classification_always_keeps_the_invariant(body):
    result = classify(body, thread_state=ThreadState.NEW)
    assert invariant_holds(is_prospect=result.is_prospect, move=result.move)
    assert result.trace


def test_invariant_rejects_a_prospect_flag_on_a_not_prospect_move():
    assert not invariant_holds(is_prospect=True, move="spam")
    assert not invariant_holds(is_prospect=False, move="pursue")
    assert not invariant_holds(is_prospect=True, move="unknown")


def test_twelve_default_moves():
    assert len(all_moves()) == 12
