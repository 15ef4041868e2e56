"""Text a person of the team writes refuses control characters, on the API and in forms."""

import pytest
from django import forms
from rest_framework.exceptions import ValidationError

from core.fields import StrictCharField, StrictTextField, control_character
from core.forms import PlainTextField


@pytest.mark.parametrize(
    ("text", "multiline", "what"),
    [
        ("plain words, café", False, None),
        ("two\nlines\r\nand\ta tab", True, None),
        ("two\nlines", False, "a line break"),
        ("carriage\rreturn", False, "a line break"),
        ("a\ttab", False, "a tab"),
        ("bell\x07", True, "a control character (U+0007)"),
        ("escape\x1b[31m", True, "a control character (U+001B)"),
        ("delete\x7f", True, "a control character (U+007F)"),
        ("next line\x85", True, "a control character (U+0085)"),
        ("csi\x9b", False, "a control character (U+009B)"),
        ("vertical tab\x0b", True, "a control character (U+000B)"),
        # Invisible format characters are not controls: core.untrusted deals with them.
        ("zero\u200bwidth", False, None),
    ],
)
def test_control_characters_are_named_in_words(text, multiline, what):
    assert control_character(text, multiline=multiline) == what


def test_the_api_field_refuses_them_with_a_sentence():
    line, text = StrictTextField(), StrictTextField(multiline=True)
    assert text.run_validation("Why:\r\n\tshorter") == "Why:\r\n\tshorter"
    with pytest.raises(ValidationError) as refused:
        line.run_validation("Tab\there")
    assert refused.value.detail == ["Contains a tab: this is one line of plain text."]
    with pytest.raises(ValidationError) as refused:
        text.run_validation("Bell\x07")
    assert refused.value.detail == [
        "Contains a control character (U+0007), which cannot be shown: remove it."
    ]


def test_what_a_sender_writes_is_not_judged_by_it():
    # A sender's message is stored as written; the normalisation cleans what rules read.
    assert StrictCharField().run_validation("Bell\x07") == "Bell\x07"


class NoteForm(forms.Form):
    title = PlainTextField()
    note = PlainTextField(multiline=True, required=False)


def test_the_form_field_refuses_them_next_to_the_field():
    form = NoteForm({"title": "Fine", "note": "Why:\r\n\tshorter"})
    assert form.is_valid(), form.errors
    form = NoteForm({"title": "Esc\x1b", "note": "C1\x9c"})
    assert not form.is_valid()
    assert form.errors == {
        "title": ["Contains a control character (U+001B): this is one line of plain text."],
        "note": ["Contains a control character (U+009C), which cannot be shown: remove it."],
    }
    assert 'rows="2"' in str(form["note"])


@pytest.mark.parametrize("multiline", [True, False])
def test_the_schema_pattern_takes_exactly_what_the_rule_takes(multiline):
    """The pattern written into the API's schema and ``control_character`` agree on every
    code point (surrogates aside: JSON text cannot carry one alone)."""
    import re

    from core.fields import NoControlCharacters

    pattern = re.compile(NoControlCharacters(multiline=multiline).regex.pattern.strip("^$"))
    for code in range(0x110000):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        assert bool(pattern.fullmatch(char)) == (
            control_character(char, multiline=multiline) is None
        ), hex(code)


def test_a_boolean_field_takes_json_true_and_false_only():
    from core.fields import StrictBooleanField

    field = StrictBooleanField()
    assert field.run_validation(True) is True
    assert field.run_validation(False) is False
    for sent in (0, 1, "true", "yes", None):
        with pytest.raises(ValidationError):
            field.run_validation(sent)


def test_a_separator_that_python_trims_as_whitespace_is_still_refused():
    """DRF trims before validating, and str.strip() takes U+001C to U+001F: the rule reads
    the text as sent."""
    field = StrictTextField(multiline=True, allow_blank=True)
    for sent in ("\x1c", "\x1fnote", "note\x1d"):
        with pytest.raises(ValidationError):
            field.run_validation(sent)
    assert field.run_validation("  a note \n") == "a note"
