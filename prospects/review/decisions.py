"""The Decisions page: every decision the pipeline made, least certain first, for people
to label its move (spam that got no draft too), one by one from the keyboard or several
at once. The labels are what the move head learns from and what builds are scored on."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.forms import add_service_error
from core.roles import allow, can_review
from engines.moves import all_moves, move_name
from prospects.models import Decision
from prospects.review.decision_filters import DecisionFilter, decisions_to_label
from prospects.review.labels import MAX_LABELS_AT_ONCE, move_labels_set

DECISIONS_PER_PAGE = 50


def _move_choices() -> list[tuple[str, str]]:
    return [(move, move_name(move)) for move in all_moves()]


class BulkLabelForm(forms.Form):
    """The ticked rows' move. Its ids start with "bulk_": the filters above it have a
    "move" of their own."""

    decisions = forms.ModelMultipleChoiceField(
        queryset=Decision.objects.all(),
        widget=forms.MultipleHiddenInput,
        error_messages={"required": "Tick at least one decision."},
    )
    move = forms.ChoiceField(label="Label the ticked decisions as")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        self.fields["move"].choices = _move_choices()

    def clean_decisions(self):
        decisions = self.cleaned_data["decisions"]
        if len(decisions) > MAX_LABELS_AT_ONCE:
            raise ValidationError(f"At most {MAX_LABELS_AT_ONCE} at once.")
        return decisions


class RowLabelForm(forms.Form):
    """One row's move: its fields are prefixed with the decision's id, so a row's button
    reads its own select however many rows the page holds."""

    move = forms.ChoiceField(label="Move")

    def __init__(self, *args, decision: Decision, **kwargs):
        kwargs.setdefault("prefix", f"d{decision.id.hex}")
        kwargs.setdefault("initial", {"move": _current_move(decision)})
        super().__init__(*args, **kwargs)
        self.fields["move"].choices = _move_choices()
        self.decision = decision


def _current_move(decision: Decision) -> str:
    label = getattr(decision, "label", None)
    return label.move if label else decision.move


@allow(can_review)
def decision_list(request):
    return _decisions_page(request, request.GET)


def _decisions_page(request, filters: QueryDict, *, bulk_form=None, status=200):
    found = DecisionFilter(filters, queryset=decisions_to_label())
    rows = found.qs if found.is_valid() else Decision.objects.none()
    page = Paginator(rows, DECISIONS_PER_PAGE).get_page(filters.get("page"))
    query = filters.copy()
    query.pop("page", None)
    return render(
        request,
        "prospects/decisions.html",
        {
            "filter": found,
            "page": page,
            "query": query.urlencode(),
            "rows": [(decision, RowLabelForm(decision=decision)) for decision in page],
            "bulk_form": bulk_form or BulkLabelForm(),
        },
        status=status,
    )


@allow(can_review)
@require_POST
def decision_label_hx(request, decision_id):
    """Labels one decision; answers its row, saved or with the error beside the select."""
    decision = get_object_or_404(decisions_to_label(), id=decision_id)
    form = RowLabelForm(request.POST, decision=decision)
    if form.is_valid():
        try:
            move_labels_set(
                decision_ids=[decision.id], move=form.cleaned_data["move"], user=request.user
            )
        except ValidationError as invalid:
            add_service_error(form, invalid)
    status = 400 if form.errors else 200
    if not form.errors:
        decision = decisions_to_label().get(id=decision_id)
    return render(
        request,
        "prospects/_decision_row.html",
        {"decision": decision, "form": form, "saved": not form.errors},
        status=status,
    )


@allow(can_review)
@require_POST
def decision_label_bulk(request):
    form = BulkLabelForm(request.POST)
    if form.is_valid():
        try:
            count = move_labels_set(
                decision_ids=[decision.id for decision in form.cleaned_data["decisions"]],
                move=form.cleaned_data["move"],
                user=request.user,
            )
        except ValidationError as invalid:
            add_service_error(form, invalid)
    # The page's filters travel with the form, so the same list comes back.
    filters = QueryDict(request.POST.get("query", ""))
    if form.errors:
        return _decisions_page(request, filters, bulk_form=form, status=400)
    move = move_name(form.cleaned_data["move"])
    messages.success(request, f"Labelled {count} decision(s) as {move}.")
    return redirect(f"{reverse('prospects:decision_list')}?{filters.urlencode()}")
