"""Panel pages for experiments: list, create, results with charts, promote and roll back."""

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
from builder.models import PROPORTION_METRICS, Experiment
from core.roles import allow, can_change_engine, can_edit_workflows, has_any_role
from prospects.experiments.api import csv_download
from prospects.experiments.charts import ARM_COLOURS, experiment_charts
from prospects.experiments.forms import (
    ActionForm,
    ArmFormSet,
    ExperimentForm,
    PromoteForm,
    RollbackForm,
    add_experiment_error,
    add_refusal,
)
from prospects.experiments.services import (
    EngineFlipUnconfirmed,
    experiment_promote,
    experiment_rollback,
    results_for,
    winner_or_choice,
)
from prospects.selectors import pipeline_settings

EXPERIMENTS_PER_PAGE = 25
REFUSED = (ValidationError, EngineFlipUnconfirmed, PermissionDenied)


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
    data = request.POST if request.method == "POST" else None
    form, arms = ExperimentForm(data), ArmFormSet(data)
    # Both validated, so the arm cells show their errors with the experiment's.
    if data is not None and all([form.is_valid(), arms.is_valid()]):
        try:
            experiment = experiment_create(
                slug=form.cleaned_data["slug"],
                name=form.cleaned_data["name"],
                metric=form.cleaned_data["metric"],
                min_sample=form.cleaned_data["min_sample"],
                scope=form.scope,
                arms=arm_specs(arms.arm_values(form.cleaned_data["control"])),
                user=request.user,
            )
        except ValidationError as invalid:
            add_experiment_error(form, arms, invalid)
        else:
            messages.success(request, f"Created experiment {experiment.slug}; start it when ready.")
            return redirect("prospects:experiment_detail", experiment_id=experiment.id)
    return render(
        request,
        "prospects/experiment_new.html",
        {"form": form, "arms": arms, "rows": zip(arms, form["control"], strict=False)},
        status=200 if data is None else 400,
    )


def _results_context(experiment: Experiment, user, **bound_forms) -> dict:
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
        "rollback_form": RollbackForm(),
        **bound_forms,
    }


def _refused(request, experiment_id, **bound_forms):
    """The experiment's page again, with the refusal next to the control that was used."""
    experiment = get_object_or_404(experiments_with_arms(), id=experiment_id)
    return render(
        request,
        "prospects/experiment_detail.html",
        _results_context(experiment, request.user, **bound_forms),
        status=400,
    )


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
    """Start, pause or finish; a refusal shows by the buttons on the experiment's page."""
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
        action_form = ActionForm(request.POST)
        add_refusal(action_form, invalid)
        return _refused(request, experiment.id, action_form=action_form)
    messages.success(request, f"Experiment {experiment.slug}: {action} done.")
    return redirect("prospects:experiment_detail", experiment_id=experiment.id)


@allow(can_edit_workflows)
@require_POST
def experiment_promote_view(request, experiment_id):
    """Step one shows what promotion changes; step two (``confirm=yes``) does it."""
    experiment = get_object_or_404(experiments_with_arms(), id=experiment_id)
    form = PromoteForm(request.POST, experiment=experiment)
    if not form.is_valid():
        return _refused(request, experiment.id, promote_form=form)
    try:
        arm = winner_or_choice(results_for(experiment), form.cleaned_data["arm"])
    except ValidationError as invalid:
        add_refusal(form, invalid)
        return _refused(request, experiment.id, promote_form=form)
    confirming = form.cleaned_data["confirm"]
    if confirming:
        try:
            experiment_promote(
                experiment=experiment,
                user=request.user,
                arm_key=arm.key,
                confirm_engine=form.cleaned_data["confirm_engine"],
            )
        except REFUSED as problem:
            add_refusal(form, problem)
        else:
            messages.success(request, f"Arm {arm.key} is the champion; {experiment.slug} finished.")
            return redirect("prospects:experiment_detail", experiment_id=experiment.id)
    return render(
        request,
        "prospects/experiment_confirm.html",
        {
            "experiment": experiment,
            "arm": arm,
            "form": form,
            "active_engine": pipeline_settings().draft_engine,
            "can_change_engine": can_change_engine(request.user),
        },
        status=400 if confirming else 200,
    )


@allow(can_edit_workflows)
@require_POST
def experiment_rollback_view(request, experiment_id):
    experiment = get_object_or_404(experiments_with_arms(), id=experiment_id)
    form = RollbackForm(request.POST)
    try:
        experiment_rollback(
            experiment=experiment,
            user=request.user,
            confirm_engine=form.is_valid() and form.cleaned_data["confirm_engine"],
        )
    except REFUSED as problem:
        add_refusal(form, problem)
        return _refused(request, experiment.id, rollback_form=form)
    messages.success(request, "The previous champion is live again.")
    return redirect("prospects:experiment_detail", experiment_id=experiment.id)
