"""Panel pages for engines: the admin's switches (draft engine, move classifier) and each
engine build's scores, corrections and tuning exports."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from core.forms import add_service_error
from core.roles import (
    allow,
    can_change_engine,
    can_read_corrections,
    has_any_role,
)
from engines.ids import InvalidEngineId, parse_engine_id
from engines.selectors import classifier_build_ids, selectable_engine_ids
from prospects import selectors
from prospects.builds.engine_api import tuning_response
from prospects.builds.forms import EngineSwitchForm, UncertainMoveThresholdForm
from prospects.builds.tuning import Format, Split
from prospects.builds.tuning_views import build_page
from prospects.engine_switch import (
    SwitchOutlook,
    classifier_engine_set,
    draft_engine_outlook,
    draft_engine_set,
    uncertain_move_threshold_set,
)
from prospects.models import RULES, Draft, Outcome
from prospects.scores import Scores, draft_scores


def _engine_ids() -> list[str]:
    seen = set(Draft.objects.order_by().values_list("engine_id", flat=True).distinct())
    return sorted(seen | set(selectable_engine_ids()))


@allow(has_any_role)
def engine_list(request):
    scores = draft_scores("engine_id")
    rows = [(engine_id, scores.get(engine_id, Scores())) for engine_id in _engine_ids()]
    return render(request, "prospects/engines.html", {"rows": rows})


def _known_engine(engine_id: str) -> str:
    try:
        parse_engine_id(engine_id)
    except InvalidEngineId as error:
        raise Http404(str(error)) from error
    return engine_id


@allow(has_any_role)
def engine_detail(request, engine_id):
    return build_page(request, _known_engine(engine_id))


@allow(can_read_corrections)
def engine_export(request, engine_id):
    """The same stream as ``GET /api/exports/tuning/``, for a click in the panel."""
    engine_id = _known_engine(engine_id)
    outcome = request.GET.get("outcome") or None
    try:
        fmt, split = (
            Format(request.GET.get("format", "sft")),
            Split(request.GET.get("split", "all")),
        )
    except ValueError:
        return HttpResponseBadRequest(
            "format must be sft, dpo or dpo-booked; split all, train or eval."
        )
    if outcome is not None and outcome not in Outcome.values:
        return HttpResponseBadRequest(f"outcome must be one of {', '.join(Outcome.values)}.")
    return tuning_response(engine=engine_id, format=fmt.value, split=split.value, outcome=outcome)


@dataclass(frozen=True)
class _Switch:
    """One setting an admin flips on the Settings page, confirmed first, kept in history."""

    field: str
    title: str
    url_name: str
    element_id: str
    effect: str  # what changes once switched, for the confirmation
    choices: Callable[[], list[str]]
    apply: Callable[..., object]
    # What switching to an engine means for the queued drafts, for the confirmation.
    outlook: Callable[[str], SwitchOutlook] | None = None

    def form(self, data=None, **kwargs) -> EngineSwitchForm:
        return EngineSwitchForm(
            data, field=self.field, choices=self.choices(), outlook=self.outlook, **kwargs
        )

    def context(self, row, user, form: EngineSwitchForm | None = None, **extra) -> dict:
        current = getattr(row, self.field)
        return {
            "switch": self,
            "current": current,
            "form": form or self.form(initial={self.field: current}),
            "can_change": can_change_engine(user),
            **extra,
        }


SWITCHES = {
    "draft_engine": _Switch(
        "draft_engine",
        "Active draft engine",
        "prospects:engine_change_hx",
        "engine-form",
        "New drafts will be produced by",
        selectable_engine_ids,
        draft_engine_set,
        draft_engine_outlook,
    ),
    "classifier_engine": _Switch(
        "classifier_engine",
        "Move classifier",
        "prospects:classifier_change_hx",
        "classifier-form",
        "The moves of new live messages will be decided by",
        lambda: [RULES, *classifier_build_ids()],
        classifier_engine_set,
    ),
}


@allow(has_any_role)
def engine_settings(request):
    row = selectors.pipeline_settings()
    return render(
        request,
        "prospects/settings.html",
        {
            "switches": [switch.context(row, request.user) for switch in SWITCHES.values()],
            **_threshold_context(row, request.user),
            "history": selectors.settings_history(),
        },
    )


@allow(can_change_engine)
@require_POST
def engine_change_hx(request, which):
    """Step one asks for confirmation, saying what the switch means for the queued drafts;
    step two (``confirm``) flips the setting. An engine that cannot draft as things are
    set up needs ``anyway`` too: without it, the confirmation comes back with the error."""
    switch = SWITCHES[which]
    form = switch.form(request.POST)
    row = selectors.pipeline_settings()
    if form.has_error("anyway"):
        context = switch.context(row, request.user, form, engine_id=form.cleaned_data[switch.field])
        return render(request, "prospects/_engine_confirm.html", context, status=400)
    if form.is_valid():
        engine_id = form.cleaned_data[switch.field]
        if not form.cleaned_data["confirm"]:
            return render(
                request,
                "prospects/_engine_confirm.html",
                switch.context(row, request.user, form, engine_id=engine_id),
            )
        try:
            switch.apply(engine_id=engine_id, user=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"{switch.title} is now {engine_id}.")
            if request.htmx:
                return HttpResponseClientRefresh()
            return redirect("prospects:settings")
    return render(
        request, "prospects/_engine_form.html", switch.context(row, request.user, form), status=400
    )


def _threshold_context(row, user, form: UncertainMoveThresholdForm | None = None) -> dict:
    threshold = row.uncertain_move_threshold
    return {
        "threshold": threshold,
        "threshold_form": form
        or UncertainMoveThresholdForm(initial={"uncertain_move_threshold": threshold}),
        "can_change": can_change_engine(user),
    }


@allow(can_change_engine)
@require_POST
def uncertain_move_hx(request):
    """Sets how sure the classifier must be before a draft may go out without a person."""
    form = UncertainMoveThresholdForm(request.POST)
    if form.is_valid():
        try:
            uncertain_move_threshold_set(
                threshold=form.cleaned_data["uncertain_move_threshold"], user=request.user
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "The uncertain-move threshold is saved.")
            if request.htmx:
                return HttpResponseClientRefresh()
            return redirect("prospects:settings")
    context = _threshold_context(selectors.pipeline_settings(), request.user, form)
    return render(request, "prospects/_uncertain_move_form.html", context, status=400)
