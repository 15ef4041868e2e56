"""Which decisions people label, and how the Decisions page and the API filter them."""

import django_filters
from django import forms
from django.db.models import F
from drf_spectacular.utils import extend_schema_field

from core.filters import StrictBooleanFilter
from engines.moves import all_moves, move_name
from prospects.models import Decision


def decisions_to_label():
    """Least certain first (the rules give no confidence: last), then the newest."""
    return Decision.objects.select_related("message", "label").order_by(
        F("confidence").asc(nulls_last=True), "-created_at"
    )


class DecisionFilter(django_filters.FilterSet):
    move = django_filters.ChoiceFilter(
        label="Move", choices=[(move, move_name(move)) for move in all_moves()], empty_label="Any"
    )
    classifier = django_filters.CharFilter(field_name="classified_by", label="Classifier")
    # django-filter's bounds are not read into the schema: said here.
    confidence_below = extend_schema_field({"type": "number", "minimum": 0, "maximum": 1})(
        django_filters.NumberFilter(
            field_name="confidence",
            lookup_expr="lt",
            label="Confidence below",
            min_value=0,
            max_value=1,
        )
    )
    since = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    labelled = StrictBooleanFilter(
        field_name="label",
        lookup_expr="isnull",
        exclude=True,
        label="Labelled",
        widget=forms.Select(choices=[("", "either"), ("true", "yes"), ("false", "no")]),
    )

    class Meta:
        model = Decision
        fields = ["move", "classifier", "confidence_below", "since", "until", "labelled"]
