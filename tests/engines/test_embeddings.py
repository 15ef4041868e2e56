"""The packaged all-MiniLM-L6-v2: real embeddings, offline."""

import pytest

from engines.embeddings import available, cosine_similarities


def test_similar_sentences_score_higher_than_unrelated_ones():
    assert available()
    same, close, far = cosine_similarities(
        [
            ("See you on Friday!", "See you on Friday!"),
            ("Are you free on Friday evening?", "Is Friday evening good for you?"),
            ("Are you free on Friday evening?", "The invoice total is attached."),
        ]
    )
    assert same == pytest.approx(1.0, abs=1e-4)
    assert close > far + 0.3
