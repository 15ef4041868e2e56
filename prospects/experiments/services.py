"""Experiments on live drafts: measure each arm and promote the winner.

builder owns experiments and their statistics; this module measures the drafts each arm
produced and hands the figures to ``builder.results``, and adds the parts that touch
pipeline settings (the engine flip on promotion and rollback).
"""

import csv
import io
from dataclasses import dataclass
from itertools import accumulate

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, F, FloatField, Q, Sum, Value, When
from django.db.models.functions import Cast, TruncDate

from builder.experiments import experiment_promote_workflow, experiment_rollback_workflow
from builder.models import PROPORTION_METRICS, Experiment, ExperimentArm, Metric
from builder.results import ArmOutcome, ExperimentResults, experiment_results
from builder.stats import Mean, Proportion, Sample
from core.roles import can_change_engine
from prospects.engine_switch import draft_engine_set
from prospects.models import Draft
from prospects.scores import (
    ACCEPTED_UNEDITED,
    CORRECTED,
    HELD_BY_ENGINE,
    REVIEWED,
    SENT,
    booked_after,
)
from prospects.selectors import pipeline_settings


@dataclass(frozen=True)
class _Measure:
    """Which drafts a metric counts and the value each contributes."""

    counts: Q
    value: object
    # Counted per thread, not per draft: of the threads ``counts`` finds, those where a
    # draft also meets ``success`` (a proportion; ``value`` is unused).
    success: Q | None = None


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1.0)), default=Value(0.0), output_field=FloatField())


def _measures() -> dict[str, _Measure]:
    tokens = Cast(F("tokens_in") + F("tokens_out"), FloatField())
    return {
        Metric.ACCEPTED_UNEDITED: _Measure(REVIEWED, _flag(ACCEPTED_UNEDITED)),
        Metric.HOLD_RATE: _Measure(Q(), _flag(HELD_BY_ENGINE)),
        Metric.EDIT_DISTANCE: _Measure(
            CORRECTED, Cast(F("correction__edit_distance"), FloatField())
        ),
        Metric.LATENCY: _Measure(~HELD_BY_ENGINE, Cast(F("engine_latency_ms"), FloatField())),
        Metric.COST: _Measure(Q(), tokens * (settings.DRAFT_COST_PER_1K_TOKENS / 1000)),
        # Threads, not drafts: one booking is one success however many replies led to it.
        Metric.BOOKED: _Measure(SENT, None, success=SENT & Q(booked_after())),
    }


def _aggregates(metrics) -> dict:
    aggregates = {"drafts": Count("id")}
    for name, measure in _measures().items():
        if name in metrics and measure.success is not None:
            aggregates[f"{name}__n"] = Count("thread", filter=measure.counts, distinct=True)
            booked = Count("thread", filter=measure.success, distinct=True)
            aggregates[f"{name}__sum"] = aggregates[f"{name}__sumsq"] = booked
        elif name in metrics:
            aggregates[f"{name}__n"] = Count("id", filter=measure.counts)
            aggregates[f"{name}__sum"] = Sum(measure.value, filter=measure.counts)
            aggregates[f"{name}__sumsq"] = Sum(measure.value * measure.value, filter=measure.counts)
    return aggregates


def _sample(metric: str, n: int, total: float | None, squares: float | None) -> Sample:
    total, squares = total or 0.0, squares or 0.0
    if metric in PROPORTION_METRICS:
        return Proportion(n=n, successes=round(total))
    if n == 0:
        return Mean(n=0)
    mean = total / n
    variance = max(squares - n * mean * mean, 0.0) / (n - 1) if n > 1 else None
    return Mean(n=n, mean=mean, sd=variance**0.5 if variance is not None else None)


def _samples(row: dict, metrics) -> dict[str, Sample]:
    return {
        name: _sample(name, row[f"{name}__n"], row[f"{name}__sum"], row[f"{name}__sumsq"])
        for name in metrics
    }


def _cumulative(rows: list[dict], metric: str) -> list:
    """Day-by-day rows to (day, the sample of every draft up to that day)."""
    keys = (f"{metric}__n", f"{metric}__sum", f"{metric}__sumsq")

    def add(left: dict, right: dict) -> dict:
        return {
            "day": right["day"],
            **{key: (left[key] or 0) + (right[key] or 0) for key in keys},
        }

    return [(row["day"], _samples(row, [metric])[metric]) for row in accumulate(rows, add)]


def arm_outcomes(experiment: Experiment) -> dict[str, ArmOutcome]:
    """Every arm's figures, keyed by arm label: two queries whatever the number of drafts."""
    labels = [arm.label for arm in experiment.arms.all()]
    drafts = Draft.objects.filter(experiment_arm__in=labels).order_by()
    metrics = list(Metric)
    totals = {
        row["experiment_arm"]: row
        for row in drafts.values("experiment_arm").annotate(**_aggregates(metrics))
    }
    by_day: dict[str, list[dict]] = {}
    daily = (
        drafts.annotate(day=TruncDate("created_at"))
        .values("experiment_arm", "day")
        .annotate(**_aggregates([experiment.metric]))
        .order_by("experiment_arm", "day")
    )
    for row in daily:
        by_day.setdefault(row["experiment_arm"], []).append(row)
    return {
        label: ArmOutcome(
            drafts=row["drafts"],
            metrics=_samples(row, metrics),
            series=_cumulative(by_day.get(label, []), experiment.metric),
        )
        for label, row in totals.items()
    }


def results_for(experiment: Experiment) -> ExperimentResults:
    return experiment_results(experiment, arm_outcomes(experiment))


def results_csv(results: ExperimentResults) -> str:
    rows = [result.as_json() for result in results.arms]
    columns = [key for key in rows[0] if key != "comparison"] if rows else []
    compared = ["diff", "p_value", "prob_beats_control", "outcome", "verdict"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["experiment", "metric", *columns, *compared])
    for row in rows:
        comparison = row["comparison"] or {}
        writer.writerow(
            [
                results.experiment.slug,
                results.experiment.metric,
                *(row[column] for column in columns),
                *(comparison.get(key) for key in compared),
            ]
        )
    return out.getvalue()


class EngineFlipUnconfirmed(Exception):
    """Promotion or rollback would change the active engine and nobody confirmed it."""

    def __init__(self, current: str, proposed: str):
        super().__init__(
            f"This switches the active draft engine from {current} to {proposed}; "
            "an admin must confirm the engine flip."
        )
        self.current, self.proposed = current, proposed


def _engine_flip(user, engine_id: str, confirm_engine: bool) -> bool:
    """Whether the active engine has to change to ``engine_id``; raises when it may not."""
    current = pipeline_settings().draft_engine
    if engine_id == current:
        return False
    if not can_change_engine(user):
        raise PermissionDenied(f"Only an admin can switch the active engine to {engine_id}.")
    if not confirm_engine:
        raise EngineFlipUnconfirmed(current, engine_id)
    return True


def winner_or_choice(results: ExperimentResults, arm_key: str = "") -> ExperimentArm:
    """The arm to promote: the one named, or the winner. Raises ``ValidationError``."""
    if not arm_key:
        if results.winner is None:
            raise ValidationError({"arm": ["No arm beats control yet; name the arm to promote."]})
        return results.winner.arm
    chosen = next((result for result in results.arms if result.arm.key == arm_key), None)
    if chosen is None:
        raise ValidationError({"arm": [f"This experiment has no arm '{arm_key}'."]})
    if chosen.n < results.experiment.min_sample:
        raise ValidationError(
            {
                "arm": [
                    f"Arm {arm_key} has {chosen.n} of the {results.experiment.min_sample} "
                    "observations needed before it can be promoted."
                ]
            }
        )
    return chosen.arm


def experiment_promote(
    *, experiment: Experiment, user, arm_key: str = "", confirm_engine: bool = False
) -> Experiment:
    """Publishes the chosen (or winning) arm as champion and finishes the experiment.

    When the arm runs on another engine than the active one, only an admin may promote
    it and must confirm the flip (``EngineFlipUnconfirmed`` until they do).
    """
    arm = winner_or_choice(results_for(experiment), arm_key)
    flips = _engine_flip(user, arm.engine_id, confirm_engine)
    previous_engine = pipeline_settings().draft_engine
    with transaction.atomic():
        experiment = experiment_promote_workflow(
            experiment=experiment, arm=arm, user=user, previous_engine_id=previous_engine
        )
        if flips:
            draft_engine_set(engine_id=arm.engine_id, user=user)
    return experiment


def experiment_rollback(*, experiment: Experiment, user, confirm_engine: bool = False):
    """Brings back the champion the promotion replaced: its workflow version and engine."""
    with transaction.atomic():
        experiment = experiment_rollback_workflow(experiment=experiment, user=user)
        previous = experiment.previous_engine_id
        if previous and _engine_flip(user, previous, confirm_engine):
            draft_engine_set(engine_id=previous, user=user)
    return experiment
