"""An engine id as the API reads it: the grammar ``parse_engine_id`` keeps, checked on the
field and written into the schema as a pattern (what the id names, a registered build or a
live one, is each endpoint's own check)."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from core.fields import StrictCharField
from engines.ids import (
    MAX_ENGINE_ID_LENGTH,
    InvalidEngineId,
    Provider,
    engine_id_pattern,
    parse_engine_id,
)


class EngineIdValidator(RegexValidator):
    """A ``RegexValidator`` so that drf-spectacular writes the pattern into the schema; the
    check is ``parse_engine_id``, whose message says what a valid id looks like (a build of
    another provider passes it, for the endpoint to say why it will not do). ``also``
    names other words the field takes ("rules" for the classifier, "" where blank means
    the default)."""

    code = "invalid_engine_id"

    def __init__(self, *, also: tuple[str, ...] = (), providers=tuple(Provider)):
        self.also = also
        words = "".join(f"{re.escape(word)}|" for word in also)
        super().__init__(engine_id_pattern(providers).replace("^(?:", f"^(?:{words}", 1))

    def __call__(self, value):
        if value in self.also:
            return
        try:
            parse_engine_id(value)
        except InvalidEngineId as error:
            raise ValidationError(str(error), code=self.code) from error


class SchemaOnly(RegexValidator):
    """A pattern for drf-spectacular to write into the schema, checking nothing."""

    def __call__(self, value):
        return None


class EngineIdField(StrictCharField):
    """``checked=False`` writes the pattern into the schema and leaves the check to the
    service, whose field errors name the place (``arms[1].engine_id``)."""

    def __init__(
        self, *, also: tuple[str, ...] = (), providers=tuple(Provider), checked=True, **kwargs
    ):
        kwargs.setdefault("max_length", MAX_ENGINE_ID_LENGTH)
        super().__init__(**kwargs)
        words = ("", *also) if self.allow_blank else also
        validator = EngineIdValidator(also=words, providers=providers)
        self.validators.append(validator if checked else SchemaOnly(validator.regex))
