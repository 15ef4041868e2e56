"""The build page's tuning loop: lineage, evaluations beside the champion's, training,
and gated promotion. Reading is for any role; acting is the admin's."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from builder.models import WorkflowVersion
from core.forms import add_service_error
from core.roles import allow, can_change_engine, can_train, has_any_role
from engines.forms import BuildConcurrencyForm
from engines.gpu.deploy import lora_arguments
from engines.models import AdapterHead, EngineBuild, default_concurrency
from engines.models.training import Evaluation, RunStatus, TrainingRun
from engines.services import build_concurrency_set
from engines.training.promotion import (
    GUARDABLE,
    guards_for,
    promotion_policy,
    promotion_policy_set,
    promotion_verdict,
)
from prospects import selectors
from prospects.builds.charts import learning_curve_chart
from prospects.builds.evaluation_runs import evaluation_start
from prospects.builds.forms import (
    EvaluateForm,
    PromotionGuardsForm,
    TrainForm,
)
from prospects.builds.promotion import PromotionRefused, build_promote, champion_of
from prospects.builds.rules_champion import evaluation_pairs
from prospects.builds.training_runs import training_run_start
from prospects.builds.tuning import FORMAT_WORDS, Format, Split
from prospects.engine_switch import build_head
from prospects.models import Draft, Outcome
from prospects.scores import draft_scores, scores_for

ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
RECENT = 10


@dataclass(frozen=True)
class MetricRow:
    metric: str
    label: str
    mine: float | None
    champion: float | None
    margin: float | None  # None: not guarded


@dataclass(frozen=True)
class HeadComparison:
    head: str
    mine: Evaluation | None
    champion: Evaluation | None
    rows: list[MetricRow]


def head_comparisons(pairs: dict, guards: dict) -> list[HeadComparison]:
    """Per head: this build's latest evaluation and the champion's on the same cases."""
    comparisons = []
    for head, (mine, theirs) in pairs.items():
        rows = [
            MetricRow(
                metric,
                guardable.label,
                mine.metrics.get(metric) if mine else None,
                theirs.metrics.get(metric) if theirs else None,
                guards.get(metric),
            )
            for metric, guardable in GUARDABLE.items()
            if guardable.head == head
        ]
        comparisons.append(HeadComparison(head, mine, theirs, rows))
    return comparisons


def _tunable_build(engine_id: str) -> EngineBuild | None:
    """The build a page tunes and serves; None for the template engine or an unknown id."""
    build = EngineBuild.objects.filter(engine_id=engine_id).first()
    return None if build is None or build.parsed.is_template else build


def tuning_context(build: EngineBuild | None, user, forms: dict | None = None) -> dict:
    """The tuning section; ``forms`` holds a bound form posted back with its errors."""
    if build is None:
        return {"build": None}
    engine_id = build.engine_id
    champion = champion_of(engine_id)
    guards = guards_for(promotion_policy().guards, build.head)
    runs = TrainingRun.objects.filter(parent_engine_id=engine_id).defer("snapshot")[:RECENT]
    evaluations = Evaluation.objects.filter(build=build).defer("cases")[:RECENT]
    produced_by = TrainingRun.objects.filter(build=build).defer("snapshot").first()
    busy = any(row.status in ACTIVE for row in [*runs, *evaluations])
    is_champion = champion == engine_id
    against, against_role = _compared_with(champion, is_champion, produced_by)
    pairs = evaluation_pairs(engine_id, against or champion)
    return {
        "build": build,
        "champion": champion,
        "is_champion": is_champion,
        "against": against,
        "against_role": against_role,
        "produced_by": produced_by,
        "learning_curve": learning_curve_chart(
            (produced_by.metrics or {}).get("learning_curve", []) if produced_by else []
        ),
        "lora_arguments": " ".join(lora_arguments(build.lora_modules)),
        "comparisons": head_comparisons(pairs, guards),
        "verdict": None if is_champion else promotion_verdict(engine_id, champion, guards, pairs),
        "runs": runs,
        "evaluations": evaluations,
        "busy": busy,
        "can_act": can_change_engine(user),
        "can_train": can_train(user),
        "evaluate_form": EvaluateForm(),
        "train_form": TrainForm(),
        "guards_form": PromotionGuardsForm.from_guards(guards),
        **(forms or {}),
    }


def _compared_with(champion: str, is_champion: bool, produced_by) -> tuple[str, str]:
    """Whose evaluation a build's scores stand beside: the champion it would replace; once
    it is the champion, the parent it was trained from (the loop's before and after)."""
    if not is_champion:
        return champion, "champion"
    parent = produced_by.parent_engine_id if produced_by else ""
    return parent, "parent" if parent else ""


def concurrency_history(build: EngineBuild) -> list:
    """The build's history records where its max_concurrency changed, newest first."""
    records = list(build.history.order_by("history_date", "history_id"))
    changed = [
        record
        for before, record in zip([None, *records], records, strict=False)
        if before is None or before.max_concurrency != record.max_concurrency
    ]
    return changed[::-1][:RECENT]


def serving_context(build: EngineBuild | None, user, form: BuildConcurrencyForm | None) -> dict:
    """The build page's serving section: how many calls the workers keep in flight (none
    for an in-process head: no call leaves the process)."""
    if build is None or build.parsed.runs_in_process:
        return {"serving": None}
    return {
        "serving": {
            "build": build,
            "default": default_concurrency(build.engine_id),
            "form": form or BuildConcurrencyForm(instance=build),
            "history": concurrency_history(build),
            "can_edit": can_change_engine(user),
        }
    }


# The build page's export table: (format, outcome filter, what a person reads).
EXPORT_ROWS = [
    (Format.SFT, "", FORMAT_WORDS[Format.SFT]),
    (Format.SFT, Outcome.BOOKED, f"{FORMAT_WORDS[Format.SFT]}, in threads that booked"),
    (Format.DPO, "", FORMAT_WORDS[Format.DPO]),
    (Format.DPO_BOOKED, "", FORMAT_WORDS[Format.DPO_BOOKED]),
]


def build_page(request, engine_id: str, *, status: int = 200, **forms):
    """The build page; an action's bound form comes back in ``forms``, with its errors."""
    build = _tunable_build(engine_id)
    drafts = Draft.objects.filter(engine_id=engine_id)
    by_version = draft_scores("workflow_version", drafts)
    versions = WorkflowVersion.objects.select_related("workflow").in_bulk(
        [key for key in by_version if key]
    )
    return render(
        request,
        "prospects/engine_detail.html",
        {
            "engine_id": engine_id,
            "scores": scores_for("engine_id", engine_id),
            "by_version": [(versions.get(key), score) for key, score in by_version.items()],
            "corrections": selectors.corrections_list().filter(engine_id=engine_id)[:10],
            "formats": EXPORT_ROWS,
            "splits": list(Split),
            **tuning_context(build, request.user, forms),
            **serving_context(build, request.user, forms.get("concurrency_form")),
        },
        status=status,
    )


@allow(has_any_role)
def build_tuning_hx(request, engine_id):
    """The tuning section alone: polled while a run or an evaluation is under way."""
    return render(
        request,
        "prospects/_build_tuning.html",
        {"engine_id": engine_id, **tuning_context(_tunable_build(engine_id), request.user)},
    )


def _back(engine_id):
    return redirect("prospects:engine_detail", engine_id=engine_id)


def _attempt(request, engine_id, form, name: str, action, done: str):
    """Runs an admin's action on a valid form; an invalid one, or the service's field
    errors, come back on the page next to the fields."""
    if form.is_valid():
        try:
            action()
        except ValidationError as invalid:
            add_service_error(form, invalid)
        else:
            messages.success(request, done)
            return _back(engine_id)
    return build_page(request, engine_id, status=400, **{name: form})


@allow(can_change_engine)
@require_POST
def build_concurrency(request, engine_id):
    form = BuildConcurrencyForm(
        request.POST, instance=get_object_or_404(EngineBuild, engine_id=engine_id)
    )
    return _attempt(
        request,
        engine_id,
        form,
        "concurrency_form",
        lambda: build_concurrency_set(
            engine_id=engine_id,
            max_concurrency=form.cleaned_data["max_concurrency"],
            user=request.user,
        ),
        "Max concurrency saved; workers use it within seconds.",
    )


@allow(can_train)
@require_POST
def build_evaluate(request, engine_id):
    form = EvaluateForm(request.POST)
    return _attempt(
        request,
        engine_id,
        form,
        "evaluate_form",
        lambda: evaluation_start(
            engine_id=engine_id,
            head=form.cleaned_data["head"],
            split=form.cleaned_data["split"],
            user=request.user,
        ),
        "Evaluation queued; the worker asks the build every case.",
    )


@allow(can_train)
@require_POST
def build_train(request, engine_id):
    form = TrainForm(request.POST)
    return _attempt(
        request,
        engine_id,
        form,
        "train_form",
        lambda: training_run_start(
            source_engine_ids=[engine_id],
            parent_engine_id=engine_id,
            head=form.cleaned_data["head"],
            new_engine_id=form.cleaned_data["new_engine_id"],
            hyper_parameters=form.hyper_parameters(),
            user=request.user,
        ),
        "Training run queued; follow it below.",
    )


@allow(can_change_engine)
@require_POST
def build_promote_view(request, engine_id):
    """No input to keep: what stops a promotion comes back as messages."""
    try:
        build_promote(engine_id=engine_id, user=request.user)
    except PromotionRefused as refused:
        for problem in refused.verdict.problems:
            messages.error(request, f"Not promoted: {problem}")
    except ValidationError as invalid:
        for problem in invalid.messages:
            messages.error(request, f"Not promoted: {problem}")
    else:
        role = "classifier" if build_head(engine_id) == AdapterHead.CLASSIFIER else "draft engine"
        messages.success(request, f"{engine_id} is now the {role}.")
    return _back(engine_id)


@allow(can_change_engine)
@require_POST
def promotion_guards(request, engine_id):
    form = PromotionGuardsForm(request.POST)
    return _attempt(
        request,
        engine_id,
        form,
        "guards_form",
        lambda: promotion_policy_set(guards=form.guards(), user=request.user),
        "Promotion guards saved.",
    )
