"""Serializer fields for what clients send."""

from rest_framework import serializers


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


class StrictSlugField(_StringsOnly, serializers.SlugField):
    pass


class StrictFloatField(serializers.FloatField):
    """A JSON number only: the text "0.5" or a boolean is a 400, not read as a number."""

    default_error_messages = {"not_a_number": "Must be a number, not {kind}."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("not_a_number", kind=type(data).__name__)
        return super().to_internal_value(data)
