"""The build page's tuning loop: lineage, evaluations beside the champion's, training,
and gated promotion. Reading is for any role; acting is the admin's."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from config.roles import allow, can_change_engine, can_train, has_any_role
from engines.forms import BuildConcurrencyForm
from engines.gpu_deploy import lora_arguments
from engines.models import (
    AdapterHead,
    EngineBuild,
    Evaluation,
    RunStatus,
    TrainingRun,
    default_concurrency,
)
from engines.promotion import (
    GUARDABLE,
    guards_for,
    promotion_policy,
    promotion_policy_set,
    promotion_verdict,
)
from engines.services import build_concurrency_set
from prospects.builds.evaluation_runs import evaluation_start
from prospects.builds.promotion import PromotionRefused, build_promote, champion_of
from prospects.builds.rules_champion import evaluation_pairs
from prospects.builds.training_runs import training_run_start
from prospects.engine_switch import build_head

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


def tuning_context(engine_id: str, user) -> dict:
    build = EngineBuild.objects.filter(engine_id=engine_id).first()
    if build is None or build.parsed.is_template:
        return {"build": None}
    champion = champion_of(engine_id)
    guards = guards_for(promotion_policy().guards, build.head)
    runs = TrainingRun.objects.filter(parent_engine_id=engine_id).defer("snapshot")[:RECENT]
    evaluations = Evaluation.objects.filter(build=build).defer("cases")[:RECENT]
    produced_by = TrainingRun.objects.filter(build=build).defer("snapshot").first()
    busy = any(row.status in ACTIVE for row in [*runs, *evaluations])
    is_champion = champion == engine_id
    pairs = evaluation_pairs(engine_id, champion)
    return {
        "build": build,
        "champion": champion,
        "is_champion": is_champion,
        "produced_by": produced_by,
        "lora_arguments": " ".join(lora_arguments(build.lora_modules)),
        "comparisons": head_comparisons(pairs, guards),
        "verdict": None if is_champion else promotion_verdict(engine_id, champion, guards, pairs),
        "guard_rows": [
            (metric, guardable, metric in guards, guards.get(metric, 0))
            for metric, guardable in GUARDABLE.items()
        ],
        "runs": runs,
        "evaluations": evaluations,
        "busy": busy,
        "can_act": can_change_engine(user),
        "can_train": can_train(user),
        "heads": Evaluation.Head.choices,
    }


def concurrency_history(build: EngineBuild) -> list:
    """The build's history records where its max_concurrency changed, newest first."""
    records = list(build.history.order_by("history_date", "history_id"))
    changed = [
        record
        for before, record in zip([None, *records], records, strict=False)
        if before is None or before.max_concurrency != record.max_concurrency
    ]
    return changed[::-1][:RECENT]


def serving_context(engine_id: str, user) -> dict:
    """The build page's serving section: how many calls the workers keep in flight."""
    build = EngineBuild.objects.filter(engine_id=engine_id).first()
    if build is None or build.parsed.is_template:
        return {"serving": None}
    return {
        "serving": {
            "build": build,
            "default": default_concurrency(engine_id),
            "form": BuildConcurrencyForm(instance=build),
            "history": concurrency_history(build),
            "can_edit": can_change_engine(user),
        }
    }


@allow(has_any_role)
def build_tuning_hx(request, engine_id):
    """The tuning section alone: polled while a run or an evaluation is under way."""
    return render(
        request,
        "prospects/_build_tuning.html",
        {"engine_id": engine_id, **tuning_context(engine_id, request.user)},
    )


def _field_errors(request, errors: dict) -> None:
    """Each field's problems as a message: a ValidationError's message_dict, a form's errors."""
    for field_name, problems in errors.items():
        messages.error(request, f"{field_name}: {' '.join(problems)}")


def _back(engine_id):
    return redirect("prospects:engine_detail", engine_id=engine_id)


def _attempt(request, engine_id, action, done: str):
    """Runs an admin's action; its field errors, or ``done``, come back as messages."""
    try:
        action()
    except ValidationError as invalid:
        _field_errors(request, invalid.message_dict)
    else:
        messages.success(request, done)
    return _back(engine_id)


@allow(can_change_engine)
@require_POST
def build_concurrency(request, engine_id):
    form = BuildConcurrencyForm(
        request.POST, instance=get_object_or_404(EngineBuild, engine_id=engine_id)
    )
    if not form.is_valid():
        _field_errors(request, form.errors)
        return _back(engine_id)
    return _attempt(
        request,
        engine_id,
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
    return _attempt(
        request,
        engine_id,
        lambda: evaluation_start(
            engine_id=engine_id,
            head=request.POST.get("head", ""),
            split=request.POST.get("split", "eval"),
            user=request.user,
        ),
        "Evaluation queued; the worker asks the build every case.",
    )


def _hyper_parameters(post) -> dict:
    """The form's optional numbers; a value that is not a number is left for the service
    to name."""
    chosen = {}
    for name in ("max_steps", "epochs", "learning_rate", "r", "alpha"):
        raw = post.get(name, "").strip()
        if raw:
            try:
                chosen[name] = float(raw) if "." in raw or "e" in raw.lower() else int(raw)
            except ValueError:
                chosen[name] = raw
    return chosen


@allow(can_train)
@require_POST
def build_train(request, engine_id):
    return _attempt(
        request,
        engine_id,
        lambda: training_run_start(
            source_engine_ids=[engine_id],
            parent_engine_id=engine_id,
            head=request.POST.get("head", ""),
            new_engine_id=request.POST.get("new_engine_id", "").strip(),
            hyper_parameters=_hyper_parameters(request.POST),
            user=request.user,
        ),
        "Training run queued; follow it below.",
    )


@allow(can_change_engine)
@require_POST
def build_promote_view(request, engine_id):
    try:
        build_promote(engine_id=engine_id, user=request.user)
    except PromotionRefused as refused:
        for problem in refused.verdict.problems:
            messages.error(request, f"Not promoted: {problem}")
    except ValidationError as invalid:
        _field_errors(request, invalid.message_dict)
    else:
        role = "classifier" if build_head(engine_id) == AdapterHead.CLASSIFIER else "draft engine"
        messages.success(request, f"{engine_id} is now the {role}.")
    return _back(engine_id)


@allow(can_change_engine)
@require_POST
def promotion_guards(request, engine_id):
    guards = {}
    for metric in GUARDABLE:
        if request.POST.get(f"guard_{metric}"):
            raw = request.POST.get(f"margin_{metric}", "0").strip() or "0"
            try:
                guards[metric] = float(raw)
            except ValueError:
                guards[metric] = raw
    return _attempt(
        request,
        engine_id,
        lambda: promotion_policy_set(guards=guards, user=request.user),
        "Promotion guards saved.",
    )
