from hypothesis import given
from hypothesis import strategies as st

from prospects.review.textdiff import edit_distance, word_diff


def test_word_diff_marks_changed_words_in_reading_order():
    segments = word_diff("See you on Friday at noon", "See you on Saturday at noon!")
    assert [(s.op, s.text) for s in segments if s.op != "same"] == [
        ("removed", "Friday"),
        ("added", "Saturday"),
        ("removed", "noon"),
        ("added", "noon!"),
    ]


@given(st.text(), st.text())
def test_a_word_diff_rebuilds_both_texts(original, corrected):
    segments = word_diff(original, corrected)
    assert "".join(s.text for s in segments if s.op != "added") == original
    assert "".join(s.text for s in segments if s.op != "removed") == corrected


def test_edit_distance_is_normalised():
    assert edit_distance("same", "same") == 0
    assert edit_distance("abcd", "wxyz") == 1
    assert edit_distance("Hello there", "Hello then") == 2 / 11
