import json

import pytest

from engines.classifier import NOT_CONFIGURED, classify_move, move_schema, parse_move_answer


def test_the_schema_enum_comes_from_the_configured_moves(settings):
    settings.PROSPECT_MOVES = ["opener", "pursue"]
    settings.NOT_PROSPECT_MOVES = ["spam"]
    assert move_schema()["properties"]["move"]["enum"] == ["opener", "pursue", "spam"]
    assert move_schema()["additionalProperties"] is False


def test_a_valid_answer_parses():
    answer = parse_move_answer(json.dumps({"is_prospect": True, "move": "pursue", "trace": "t"}))
    assert (answer.is_prospect, answer.move) == (True, "pursue")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"is_prospect": false, "move": "pursue", "trace": "x"}', "invariant"),
        ('{"is_prospect": true, "move": "spam", "trace": "x"}', "invariant"),
        ('{"is_prospect": true, "move": "dance", "trace": "x"}', "off-schema"),
        ('{"is_prospect": true, "move": "pursue"}', "off-schema"),
        ('{"is_prospect": true, "move": "pursue", "trace": "x", "extra": 1}', "off-schema"),
        ("{not json", "not JSON"),
    ],
)
def test_malformed_answers_are_refused_with_the_reason(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_move_answer(text)


def test_without_an_endpoint_there_is_no_answer_and_no_exception(settings):
    settings.GPU_INFERENCE_URL = ""
    settings.CLASSIFIER_INFERENCE_URL = ""
    outcome = classify_move("Hi")
    assert (outcome.answer, outcome.problem) == (None, NOT_CONFIGURED)
