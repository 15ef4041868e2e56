"""The base of every request body's serializer: ``KnownFieldsOnly``."""

from collections.abc import Mapping

from rest_framework import serializers
from rest_framework.settings import api_settings


# Comments, not docstrings: drf-spectacular would print a docstring as the description of
# every body in the schema.
class KnownFieldsOnly:
    # A body field the serializer does not name is a 400 on that field, not dropped without
    # a word: a misspelt ``draft_enigne`` would otherwise change nothing and answer 200.
    # Its read-only fields are known, so a client may send back what it read. Only bodies:
    # a query string may carry what a proxy or a browser adds.

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = [name for name in data if name not in self.fields]
            if unknown:
                known = ", ".join(sorted(self.fields))
                raise serializers.ValidationError(
                    {name: [f"Unknown field; the fields are: {known}."] for name in unknown}
                )
        return super().to_internal_value(data)


class BodySerializer(KnownFieldsOnly, serializers.Serializer):
    pass


class BodyModelSerializer(KnownFieldsOnly, serializers.ModelSerializer):
    pass


class FlatListSerializer(serializers.ListSerializer):
    """A nested list whose own errors (too few items, too many) are messages on its field,
    ``{"arms": ["..."]}``, as a ``ListField``'s are, not under ``non_field_errors``."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            detail = error.detail
            if isinstance(detail, dict) and set(detail) == {api_settings.NON_FIELD_ERRORS_KEY}:
                raise serializers.ValidationError(
                    detail[api_settings.NON_FIELD_ERRORS_KEY]
                ) from error
            raise
