from builder.taxonomy import ThreadState
from engines.holds import HoldReason
from engines.moves import MOVE_WORDS, all_moves
from prospects.deciding.decision_gate import Gate2Rule, evaluate
from prospects.models import ReasonTag
from prospects.vocabulary import Check, decision_checks, raw_codes, say, vocabulary, words_in


def test_every_configured_move_has_a_name_and_a_meaning():
    assert set(all_moves()) <= set(MOVE_WORDS)
    assert all(name and meaning for name, meaning in MOVE_WORDS.values())


def test_a_stored_code_reads_as_its_one_label():
    assert say("hold_reason", "gate2_hold") == HoldReason.GATE2.label
    assert say("template_key", "out_of_area.travel") == "Out of area: travel"
    assert say("move", "existing_client") == "Existing client"
    assert say("reason_tag", "off_topic") == ReasonTag.OFF_TOPIC.label


def test_no_two_codes_of_a_kind_share_words():
    for kind, words in vocabulary().items():
        assert len(set(words.values())) == len(words), kind


def test_raw_codes_finds_codes_dicts_and_json_paths_but_not_sentences():
    page = "Held: gate2_hold. Scope {'engine': 'x'}; steps[2].draft: '' should be non-empty"
    assert raw_codes(page) == sorted(["gate2_hold", "steps[2].draft", "{'engine':"])
    assert raw_codes("Spam, a personal note, and the review queue at example.com") == []
    assert raw_codes("Waiting: opener.welcome") == ["opener.welcome"]


def test_gate2_verdicts_read_in_words_with_what_each_rule_found():
    results = evaluate(
        body="Hi, are you free Friday?",
        move="escalate",
        thread_state=ThreadState.ENGAGED,
        sends_today=3,
        max_sends_per_day=3,
    ).results
    assert decision_checks(results) == [
        Check(Gate2Rule.SAFETY_TERMS.label, True, ""),
        Check(Gate2Rule.SAFETY_MEMORY.label, True, ""),
        Check(Gate2Rule.HUMAN_ONLY_MOVE.label, False, "Escalate"),
        Check(Gate2Rule.THREAD_CLOSED.label, True, "Engaged"),
        Check(Gate2Rule.SEND_RATE.label, False, "3 sent today, limit 3"),
    ]


def test_a_stored_sentence_reads_with_its_codes_in_words():
    assert words_in("Gate-2 rules: safety_terms (minor: 'I'm 16')") == (
        f"Gate-2 rules: {Gate2Rule.SAFETY_TERMS.label} (minor: 'I'm 16')"
    )
    assert words_in("Gate-2 rules at send time: send_rate, thread_closed") == (
        f"Gate-2 rules at send time: {Gate2Rule.SEND_RATE.label}, {Gate2Rule.THREAD_CLOSED.label}"
    )
    assert (
        words_in("Failed rules: ai_phrase, phone")
        == "Failed rules: Sounds like an AI or a refusal, phone"
    )
    assert (
        words_in("The classifier was 40% sure of 'of'.")
        == "The classifier was 40% sure of Free content."
    )
    assert words_in("No canon entry for template key 'opener.welcome'.") == (
        f"No canon entry for template key {say('template_key', 'opener.welcome')}."
    )


def test_every_reason_a_gpu_machine_changes_state_has_words():
    from engines.gpu.policy import Reason

    assert {str(reason) for reason in Reason} <= set(vocabulary()["gpu_reason"])
