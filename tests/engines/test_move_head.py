"""The linear move head on its own: fitted from labelled lines, answering within the move
contract with its confidence, its fast path equal to the fitted pipeline, and an artefact
only the scikit-learn that made it loads."""

import json
import pickle
from pathlib import Path
from types import SimpleNamespace

import pytest
import sklearn

from core.untrusted import normalise
from engines.move_head import HeadUnusable, MoveHead, head_fit
from engines.moves import invariant_holds, prospect_moves

LABELLED = Path(__file__).resolve().parents[1] / "fixtures" / "moves" / "labelled.jsonl"


@pytest.fixture(scope="module")
def corpus():
    return [SimpleNamespace(**json.loads(line)) for line in LABELLED.read_text().splitlines()]


@pytest.fixture(scope="module")
def head(corpus):
    return head_fit(
        [item.body for item in corpus],
        [item.move for item in corpus],
        prospect_moves=prospect_moves(),
    )


def test_every_answer_keeps_the_invariant_and_carries_a_probability(head, corpus):
    for item in corpus[:60]:
        answer = head.answer(item.body)
        assert invariant_holds(is_prospect=answer.is_prospect, move=answer.move)
        assert 0 < answer.confidence <= 1
        assert answer.trace.startswith(f"Linear head: {answer.move} at ")


def test_the_fast_path_computes_the_pipelines_probabilities(head, corpus):
    for item in corpus:
        fast, _, _ = head.probabilities(item.body)
        fitted = head.pipeline.predict_proba([normalise(item.body)])[0]
        assert fast == pytest.approx(fitted, abs=1e-12)


def test_it_learns_the_lines_it_was_given(head, corpus):
    right = sum(head.answer(item.body).move == item.move for item in corpus)
    assert right / len(corpus) > 0.95


def test_a_clear_message_is_answered_with_confidence_and_its_cues(head):
    answer = head.answer("We offer premium ad placement on directory sites, boost your visibility")
    assert (answer.move, answer.is_prospect) == ("vendor", False)
    assert answer.confidence > 0.5
    assert 'cues: "premium", "ad"' in answer.trace


def test_a_message_of_unknown_words_is_answered_with_little_confidence(head):
    assert head.answer("qqqq zzzz").confidence < 0.5


def test_the_same_lines_fit_the_same_head(corpus, head):
    again = head_fit(
        [item.body for item in corpus],
        [item.move for item in corpus],
        prospect_moves=prospect_moves(),
    )
    text = "are you free tonight for an hour?"
    assert again.probabilities(text)[0] == pytest.approx(head.probabilities(text)[0], abs=0)


def test_one_move_is_not_enough_to_learn_from():
    with pytest.raises(ValueError, match="at least two moves"):
        head_fit(["hi", "hello"], ["opener", "opener"], prospect_moves=prospect_moves())


def test_the_artefact_round_trips(head):
    loaded = MoveHead.loads(head.dumps())
    text = "what's your rate for two hours"
    assert loaded.answer(text) == head.answer(text)


def test_an_artefact_from_another_scikit_learn_is_refused(head):
    stored = pickle.loads(head.dumps())
    stored["sklearn"] = "0.1.0"
    with pytest.raises(
        HeadUnusable, match=f"scikit-learn 0.1.0, this process has {sklearn.__version__}"
    ):
        MoveHead.loads(pickle.dumps(stored))


def test_bytes_that_are_no_head_are_refused():
    with pytest.raises(HeadUnusable, match="not a move head artefact"):
        MoveHead.loads(b"not a pickle")
    with pytest.raises(HeadUnusable, match="not a move head artefact"):
        MoveHead.loads(pickle.dumps(["a list"]))
