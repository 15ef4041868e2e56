import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builder.resolve import Candidate, Situation, pick, resolve_workflow
from builder.services import workflow_save_draft
from tests.support.factories import definition

ARCHETYPES = ["new_contact", "referral", "returning"]
STATES = ["new", "engaged", "booked"]
KEYS = ["opener.welcome", "pursue.next_step", "vendor.decline"]

candidates = st.builds(
    Candidate,
    key=st.text(alphabet="abcdef-", min_size=1, max_size=6),
    priority=st.integers(-3, 3),
    archetypes=st.frozensets(st.sampled_from(ARCHETYPES), max_size=2),
    states=st.frozensets(st.sampled_from(STATES), max_size=2),
    template_keys=st.frozensets(st.sampled_from(KEYS), max_size=2),
)
situations = st.builds(
    Situation,
    archetype=st.sampled_from(ARCHETYPES),
    state=st.sampled_from(STATES),
    template_key=st.sampled_from(KEYS),
)
unique_candidates = st.lists(candidates, max_size=8, unique_by=lambda c: c.key)


@given(unique_candidates, situations, st.randoms())
def test_resolution_does_not_depend_on_order(pool, situation, rnd):
    shuffled = list(pool)
    rnd.shuffle(shuffled)
    assert pick(pool, situation) == pick(shuffled, situation)


@given(unique_candidates, situations)
def test_the_winner_matches_and_nothing_matching_is_more_specific(pool, situation):
    winner = pick(pool, situation)
    matching = [c for c in pool if c.matches(situation)]
    if not matching:
        assert winner is None
        return
    assert winner in matching
    for other in matching:
        assert other.specificity <= winner.specificity
        if other.specificity == winner.specificity:
            assert other.priority <= winner.priority


def test_an_empty_list_means_any():
    anything = Candidate("any", 0, frozenset(), frozenset(), frozenset())
    assert anything.matches(Situation("referral", "booked", "vendor.decline"))


def test_a_template_key_match_beats_a_catch_all_with_higher_priority():
    catch_all = Candidate("all", 100, frozenset(), frozenset(), frozenset())
    keyed = Candidate("keyed", 0, frozenset(), frozenset(), frozenset({"opener.welcome"}))
    situation = Situation("referral", "new", "opener.welcome")
    assert pick([catch_all, keyed], situation) == keyed


def test_ties_go_to_priority_then_to_the_smaller_slug():
    a = Candidate("b-flow", 1, frozenset(), frozenset(), frozenset())
    b = Candidate("a-flow", 1, frozenset(), frozenset(), frozenset())
    c = Candidate("c-flow", 2, frozenset(), frozenset(), frozenset())
    situation = Situation("referral", "new", "opener.welcome")
    assert pick([a, b], situation) == b
    assert pick(random.sample([a, b, c], 3), situation) == c


@pytest.mark.django_db
def test_resolve_uses_only_live_versions(published_workflow):
    live = published_workflow()
    situation = Situation("referral", "new", "opener.welcome")
    assert resolve_workflow(situation) == live
    workflow_save_draft(
        workflow=live.workflow,
        definition=definition(appliesTo={"templateKeys": ["pursue.next_step"]}),
    )
    assert resolve_workflow(situation) == live
    assert resolve_workflow(Situation("referral", "new", "pursue.next_step")) is None


@pytest.mark.django_db
def test_the_most_specific_published_workflow_wins(published_workflow):
    published_workflow("general", appliesTo={}, priority=50)
    specific = published_workflow(
        "specific", appliesTo={"states": ["new"], "templateKeys": ["opener.welcome"]}
    )
    assert resolve_workflow(Situation("referral", "new", "opener.welcome")) == specific
    general = resolve_workflow(Situation("referral", "engaged", "opener.welcome"))
    assert general.workflow.slug == "general"
