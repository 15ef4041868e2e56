"""Panel pages for experiments: list, create, results with charts, promote and roll back."""

from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from builder.experiments import (
    arm_specs,
    experiment_create,
    experiment_finish,
    experiment_pause,
    experiment_start,
)
from builder.experiments_api import experiments_with_arms
from builder.models import PROPORTION_METRICS, Experiment, Metric, WorkflowVersion
from builder.selectors import vocabulary
from config.roles import allow, can_change_engine, can_edit_workflows, has_any_role
from engines.selectors import selectable_engine_ids
from prospects.experiments.api import csv_download
from prospects.experiments.charts import ARM_COLOURS, experiment_charts
from prospects.experiments.services import (
    EngineFlipUnconfirmed,
    experiment_promote,
    experiment_rollback,
    results_for,
    winner_or_choice,
)
from prospects.selectors import pipeline_settings

EXPERIMENTS_PER_PAGE = 25
ARM_ROWS = 4


class ExperimentForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=80, help_text="Short id; drafts record slug:arm.")
    metric = forms.ChoiceField(choices=Metric.choices, initial=Metric.ACCEPTED_UNEDITED)
    min_sample = forms.IntegerField(
        min_value=1, initial=100, help_text="Observations per arm before any verdict."
    )
    template_keys = forms.MultipleChoiceField(required=False, widget=forms.SelectMultiple)
    archetypes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    states = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        known = vocabulary()
        for name, vocabulary_name in (
            ("template_keys", "templateKeys"),
            ("archetypes", "archetypes"),
            ("states", "states"),
        ):
            self.fields[name].choices = [(value, value) for value in known[vocabulary_name]]


@dataclass
class ArmRow:
    index: int
    key: str = ""
    workflow_version: str = ""
    engine_id: str = ""
    weight: str = "1"
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        return not self.key and not self.workflow_version


def _arm_rows(post=None) -> list[ArmRow]:
    if post is None:
        return [ArmRow(index, key="AB"[index] if index < 2 else "") for index in range(ARM_ROWS)]
    return [
        ArmRow(
            index,
            key=post.get(f"arm-{index}-key", "").strip(),
            workflow_version=post.get(f"arm-{index}-workflow_version", ""),
            engine_id=post.get(f"arm-{index}-engine_id", ""),
            weight=post.get(f"arm-{index}-weight", "").strip(),
        )
        for index in range(ARM_ROWS)
    ]


def _weight(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _arm_values(rows: list[ArmRow], control: str) -> list[dict]:
    return [
        {
            "key": row.key,
            "workflow_version": row.workflow_version,
            "engine_id": row.engine_id,
            "weight": _weight(row.weight),
            "is_control": str(row.index) == control,
        }
        for row in rows
    ]


def _attach(rows: list[ArmRow], errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Puts ``arms[i].field`` errors on row i; returns the rest."""
    rest = {}
    for path, problems in errors.items():
        if path.startswith("arms[") and "]." in path:
            position, name = path[5:].split("].", 1)
            rows[int(position)].errors[name] = problems
        else:
            rest[path] = problems
    return rest


@allow(has_any_role)
def experiment_list(request):
    experiments = experiments_with_arms()
    status = request.GET.get("status", "")
    if status in Experiment.Status.values:
        experiments = experiments.filter(status=status)
    page = Paginator(experiments, EXPERIMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "prospects/experiments.html",
        {
            "page": page,
            "status": status,
            "statuses": Experiment.Status.choices,
            "can_operate": can_edit_workflows(request.user),
        },
    )


@allow(can_edit_workflows)
def experiment_new(request):
    form = ExperimentForm(request.POST or None)
    rows = _arm_rows(request.POST if request.method == "POST" else None)
    control = request.POST.get("control", "0")
    other_errors: dict[str, list[str]] = {}
    if request.method == "POST" and form.is_valid():
        filled = [row for row in rows if not row.blank]
        data = form.cleaned_data
        try:
            experiment = experiment_create(
                slug=data["slug"],
                name=data["name"],
                metric=data["metric"],
                min_sample=data["min_sample"],
                scope={name: data[name] for name in ("template_keys", "archetypes", "states")},
                arms=arm_specs(_arm_values(filled, control)),
                user=request.user,
            )
        except ValidationError as invalid:
            problems = invalid.message_dict
            for field_name in list(problems):
                if field_name in form.fields:
                    form.add_error(field_name, problems.pop(field_name))
            # Error paths count the filled rows; map them back to the rows on screen.
            renumbered = {}
            for path, messages_ in problems.items():
                if path.startswith("arms[") and "]." in path:
                    position, rest = path[5:].split("].", 1)
                    path = f"arms[{filled[int(position)].index}].{rest}"
                renumbered[path] = messages_
            other_errors = _attach(rows, renumbered)
        else:
            messages.success(request, f"Created experiment {experiment.slug}; start it when ready.")
            return redirect("prospects:experiment_detail", experiment_id=experiment.id)
    versions = WorkflowVersion.objects.select_related("workflow").exclude(
        status=WorkflowVersion.Status.ARCHIVED
    )
    return render(
        request,
        "prospects/experiment_new.html",
        {
            "form": form,
            "rows": rows,
            "control": control,
            "versions": versions,
            "engine_ids": selectable_engine_ids(),
            "other_errors": other_errors,
        },
    )


def _results_context(experiment: Experiment, user) -> dict:
    results = results_for(experiment)
    proportion = experiment.metric in PROPORTION_METRICS
    rows = [
        (result, ARM_COLOURS[index % len(ARM_COLOURS)]) for index, result in enumerate(results.arms)
    ]
    return {
        "experiment": experiment,
        "results": results,
        "rows": rows,
        "proportion": proportion,
        "charts": experiment_charts(results, proportion=proportion),
        "promotable": [result for result in results.arms if result.n >= experiment.min_sample],
        "active_engine": pipeline_settings().draft_engine,
        "history": experiment.history.select_related("history_user")[:20],
        "can_operate": can_edit_workflows(user),
    }


@allow(has_any_role)
def experiment_detail(request, experiment_id):
    experiment = get_object_or_404(experiments_with_arms(), id=experiment_id)
    return render(
        request, "prospects/experiment_detail.html", _results_context(experiment, request.user)
    )


@allow(has_any_role)
def experiment_csv(request, experiment_id):
    return csv_download(get_object_or_404(experiments_with_arms(), id=experiment_id))


@allow(can_edit_workflows)
@require_POST
def experiment_action(request, experiment_id, action):
    """Start, pause or finish; errors are flashed on the experiment's page."""
    experiment = get_object_or_404(Experiment, id=experiment_id)
    handlers = {
        "start": lambda: experiment_start(experiment=experiment),
        "pause": lambda: experiment_pause(experiment=experiment),
        "finish": lambda: experiment_finish(experiment=experiment),
    }
    if action not in handlers:
        raise PermissionDenied
    try:
        handlers[action]()
    except ValidationError as invalid:
        _flash(request, invalid)
    else:
        messages.success(request, f"Experiment {experiment.slug}: {action} done.")
    return redirect("prospects:experiment_detail", experiment_id=experiment.id)


@allow(can_edit_workflows)
@require_POST
def experiment_promote_view(request, experiment_id):
    """Step one shows what promotion changes; step two (``confirm=yes``) does it."""
    experiment = get_object_or_404(experiments_with_arms(), id=experiment_id)
    arm_key = request.POST.get("arm", "")
    try:
        arm = winner_or_choice(results_for(experiment), arm_key)
        if request.POST.get("confirm") != "yes":
            return render(
                request,
                "prospects/experiment_confirm.html",
                {
                    "experiment": experiment,
                    "arm": arm,
                    "active_engine": pipeline_settings().draft_engine,
                    "can_change_engine": can_change_engine(request.user),
                },
            )
        experiment_promote(
            experiment=experiment,
            user=request.user,
            arm_key=arm.key,
            confirm_engine=request.POST.get("confirm_engine") == "yes",
        )
    except (ValidationError, EngineFlipUnconfirmed, PermissionDenied) as problem:
        _flash(request, problem)
    else:
        messages.success(request, f"Arm {arm.key} is the champion; {experiment.slug} finished.")
    return redirect("prospects:experiment_detail", experiment_id=experiment.id)


@allow(can_edit_workflows)
@require_POST
def experiment_rollback_view(request, experiment_id):
    experiment = get_object_or_404(experiments_with_arms(), id=experiment_id)
    try:
        experiment_rollback(
            experiment=experiment,
            user=request.user,
            confirm_engine=request.POST.get("confirm_engine") == "yes",
        )
    except (ValidationError, EngineFlipUnconfirmed, PermissionDenied) as problem:
        _flash(request, problem)
    else:
        messages.success(request, "The previous champion is live again.")
    return redirect("prospects:experiment_detail", experiment_id=experiment.id)


def _flash(request, problem: Exception) -> None:
    if isinstance(problem, ValidationError):
        for problems in problem.message_dict.values():
            messages.error(request, " ".join(problems))
    else:
        messages.error(request, str(problem))
