"""Datetime input in UTC: a client may send any offset Python accepts (up to ±23:59),
but PostgreSQL refuses offsets beyond ±15:59, so values are converted before any query."""

from datetime import UTC, datetime

from django import forms
from django_filters import IsoDateTimeFilter
from django_filters.fields import IsoDateTimeField
from rest_framework import serializers

OUT_OF_RANGE = "This date and time is out of range."


def to_utc(value: datetime | None) -> datetime | None:
    """Raises ``OverflowError`` when the instant falls outside the years 1-9999 in UTC."""
    return value.astimezone(UTC) if value is not None and value.tzinfo else value


class UtcIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        try:
            return to_utc(super().to_python(value))
        except OverflowError as error:
            raise forms.ValidationError(OUT_OF_RANGE, code="invalid") from error


class UtcIsoDateTimeFilter(IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class UtcDateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value):
        try:
            return to_utc(super().to_internal_value(value))
        except OverflowError as error:
            raise serializers.ValidationError(OUT_OF_RANGE) from error
