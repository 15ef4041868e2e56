"""Query filters that refuse what they cannot read, as the schema promises, instead of
reading it as "no filter"."""

import django_filters
from django import forms

TRUE_WORDS = frozenset({"true", "True", "1"})
FALSE_WORDS = frozenset({"false", "False", "0"})


class StrictNullBooleanField(forms.NullBooleanField):
    """``true``/``false`` (or 1/0); empty is no filter; anything else is an error, where
    Django's field would read "maybe" or "-5" as empty."""

    def to_python(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictNullBooleanField
