from engines.holds import HoldReason
from engines.moves import MOVE_WORDS, all_moves
from prospects.vocabulary import raw_codes, say, vocabulary


def test_every_configured_move_has_a_name_and_a_meaning():
    assert set(all_moves()) <= set(MOVE_WORDS)
    assert all(name and meaning for name, meaning in MOVE_WORDS.values())


def test_a_stored_code_reads_as_its_one_label():
    assert say("hold_reason", "gate2_hold") == HoldReason.GATE2.label
    assert say("template_key", "out_of_area.travel") == "Out of area: travel"
    assert say("move", "existing_client") == "Existing client"


def test_no_two_codes_of_a_kind_share_words():
    for kind, words in vocabulary().items():
        assert len(set(words.values())) == len(words), kind


def test_raw_codes_finds_codes_dicts_and_json_paths_but_not_sentences():
    page = "Held: gate2_hold. Scope {'engine': 'x'}; steps[2].draft: '' should be non-empty"
    assert raw_codes(page) == sorted(["gate2_hold", "steps[2].draft", "{'engine':"])
    assert raw_codes("Spam, a personal note, and the review queue at example.com") == []
    assert raw_codes("Waiting: opener.welcome") == ["opener.welcome"]
