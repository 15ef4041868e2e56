import pytest
import yaml

from builder.services import DEFAULT_CANON_FILE
from builder.taxonomy import ThreadState
from engines.moves import all_moves
from prospects.deciding.next_action import decide_next_action, template_keys_in_use


def test_opener_on_a_new_thread_welcomes_and_engages():
    action = decide_next_action(move="opener", state=ThreadState.NEW)
    assert action.template_key == "opener.welcome"
    assert action.next_state == ThreadState.ENGAGED


def test_opener_on_an_engaged_thread_follows_up():
    assert decide_next_action(move="opener", state=ThreadState.ENGAGED).template_key == (
        "opener.followup"
    )


def test_spam_drafts_no_reply_and_closes_the_thread():
    action = decide_next_action(move="spam", state=ThreadState.NEW)
    assert not action.drafts_reply
    assert action.next_state == ThreadState.CLOSED


@pytest.mark.parametrize("move", all_moves())
@pytest.mark.parametrize("state", ThreadState.values)
def test_every_move_and_state_has_a_next_action(move, state):
    action = decide_next_action(move=move, state=state)
    assert action.next_state in ThreadState.values
    # A reply answers the move it was chosen for, with a text the default canon has.
    if action.drafts_reply:
        assert action.template_key.split(".")[0] == move
        assert action.template_key in yaml.safe_load(DEFAULT_CANON_FILE.read_text())


def test_every_template_key_in_use_has_default_canon():
    canon_keys = set(yaml.safe_load(DEFAULT_CANON_FILE.read_text()))
    assert template_keys_in_use() <= canon_keys


def test_an_unknown_move_is_an_error():
    with pytest.raises(ValueError, match="No next action"):
        decide_next_action(move="dance", state=ThreadState.NEW)


def test_out_of_area_offers_travel_unless_the_place_is_declined(settings):
    settings.OUT_OF_AREA_DECLINED_PLACES = ["Aberdeen", "New York"]
    from prospects.deciding.next_action import travel_viable

    assert travel_viable("I'm in Leeds next week, do you travel?")
    assert not travel_viable("visiting new york on friday")
    assert not travel_viable("Aberd\u200been for work, can you come?")
    viable = decide_next_action(move="out_of_area", state=ThreadState.NEW)
    declined = decide_next_action(move="out_of_area", state=ThreadState.NEW, viable=False)
    assert (viable.template_key, declined.template_key) == (
        "out_of_area.travel",
        "out_of_area.decline",
    )
    assert decide_next_action(move="pursue", state=ThreadState.NEW, viable=False).template_key == (
        "pursue.next_step"
    )


@pytest.mark.django_db
def test_an_install_with_older_canon_gets_the_travel_offer_and_keeps_its_own_texts():
    from importlib import import_module

    from django.apps import apps

    from builder.selectors import canon_text
    from builder.services import canon_set

    migration = import_module("builder.migrations.0003_out_of_area_travel_canon")
    migration.add_travel_canon(apps, None)
    assert canon_text("out_of_area.travel") is None  # no canon at all: the fixture loads it

    canon_set(template_key="opener.welcome", text="Our own welcome.")
    migration.add_travel_canon(apps, None)
    migration.add_travel_canon(apps, None)
    assert canon_text("out_of_area.travel") == migration.TEXT
    assert canon_text("opener.welcome") == "Our own welcome."
    canon = yaml.safe_load(DEFAULT_CANON_FILE.read_text())
    assert " ".join(canon["out_of_area.travel"].split()) == migration.TEXT
