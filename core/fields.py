"""Fields for what clients send, and the rule for text our own people write.

Text a sender wrote is untrusted and kept as written (``core.untrusted`` cleans what rules
read). Text a person of the team writes (a note, a name, a snippet, a workflow step) is
refused when it holds a control character: a page cannot show one, and one pasted from a
terminal or a log shows as garbage to everyone who reads it after.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

LINE_BREAKS = frozenset("\n\r")
MULTILINE_CONTROLS = LINE_BREAKS | {"\t"}


def control_character(text: str, *, multiline: bool) -> str | None:
    """What in ``text`` cannot be stored as a person's text, in words ("a line break", "a
    control character (U+0007)"); None when nothing. C0 and C1 controls are refused, and
    DEL; tab and line breaks only in ``multiline`` text (a browser sends CR LF)."""
    for char in text:
        if unicodedata.category(char) != "Cc" or (multiline and char in MULTILINE_CONTROLS):
            continue
        if char in LINE_BREAKS:
            return "a line break"
        if char == "\t":
            return "a tab"
        return f"a control character (U+{ord(char):04X})"
    return None


def control_character_message(what: str, *, multiline: bool, subject: str = "") -> str:
    """The sentence for ``control_character``'s answer, about ``subject`` when given
    ("The name contains a tab: ...")."""
    contains = f"{subject} contains" if subject else "contains"
    if multiline:
        sentence = f"{contains} {what}, which cannot be shown: remove it."
    else:
        sentence = f"{contains} {what}: this is one line of plain text."
    return sentence[:1].upper() + sentence[1:]


# The same rule as patterns, for the API's schema (unicodedata's "Cc" is C0, DEL and C1).
ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
MULTILINE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"


@deconstructible
class NoControlCharacters(RegexValidator):
    """The rule as a validator, for Django form fields and DRF fields alike. A
    ``RegexValidator`` so that drf-spectacular writes its pattern into the schema; the
    check itself is ``control_character``, whose message names what was found."""

    code = "control_character"

    def __init__(self, *, multiline: bool):
        self.multiline = multiline
        super().__init__(MULTILINE_PATTERN if multiline else ONE_LINE_PATTERN)

    def __call__(self, value):
        if isinstance(value, str) and (what := control_character(value, multiline=self.multiline)):
            raise ValidationError(
                control_character_message(what, multiline=self.multiline), code=self.code
            )


class _StringsOnly:
    """Text only: a JSON number or boolean where the schema says string is a 400, not
    stored as the text "12345"."""

    default_error_messages = {"not_a_string": "Must be a string, not {kind}."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string", kind=type(data).__name__)
        return super().to_internal_value(data)


class StrictCharField(_StringsOnly, serializers.CharField):
    pass


class StrictTextField(StrictCharField):
    """Text a person of the team writes: one line, or ``multiline`` (tab and line breaks
    kept); any other control character is a 400 on the field."""

    def __init__(self, *, multiline: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.no_controls = NoControlCharacters(multiline=multiline)
        self.validators.append(self.no_controls)

    def run_validation(self, data=empty):
        # On the text as sent: DRF trims whitespace first, and Python counts the
        # separators U+001C to U+001F as whitespace, so "\x1c" alone would pass as blank.
        if isinstance(data, str):
            try:
                self.no_controls(data)
            except ValidationError as error:
                raise serializers.ValidationError(error.messages) from error
        return super().run_validation(data)


class StrictSlugField(_StringsOnly, serializers.SlugField):
    pass


class StrictFloatField(serializers.FloatField):
    """A JSON number only: the text "0.5" or a boolean is a 400, not read as a number."""

    default_error_messages = {"not_a_number": "Must be a number, not {kind}."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("not_a_number", kind=type(data).__name__)
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON whole number only: the text "12", a boolean or 1.5 is a 400."""

    default_error_messages = {"not_an_integer": "Must be a whole number, not {kind}."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("not_an_integer", kind=type(data).__name__)
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false only: 0, 1 or the text "yes" is a 400, as the schema says
    boolean (DRF would read them as booleans)."""

    default_error_messages = {"not_a_boolean": "Must be true or false, not {kind}."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("not_a_boolean", kind=type(data).__name__)
        return data


@extend_schema_field(
    {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$", "example": "22:00"}
)
class ClockTimeField(serializers.TimeField):
    """A time of day on a wall clock, ``HH:MM`` (no zone: read in each thread's own).
    OpenAPI's ``format: time`` would promise an RFC 3339 time with an offset."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M")
        kwargs.setdefault("input_formats", ["%H:%M", "%H:%M:%S"])
        super().__init__(**kwargs)
