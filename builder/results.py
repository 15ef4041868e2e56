"""An experiment's results: per arm the metric, its interval and the comparison to control.

prospects measures each arm's drafts and hands the figures in as ``ArmOutcome`` (plain
data), so builder reads no drafts; every figure comes from ``builder.stats``.
"""

from dataclasses import dataclass, field
from datetime import date

from builder import stats
from builder.models import PROPORTION_METRICS, Experiment, ExperimentArm, Metric
from builder.stats import Mean, Proportion, Sample


@dataclass(frozen=True)
class ArmOutcome:
    """One arm's measured figures: every metric's sample and the primary metric by day."""

    drafts: int = 0
    metrics: dict[str, Sample] = field(default_factory=dict)
    # (day, the primary metric's cumulative sample up to that day), oldest first.
    series: list[tuple[date, Sample]] = field(default_factory=list)


def empty_sample(metric: str) -> Sample:
    return Proportion(n=0, successes=0) if metric in PROPORTION_METRICS else Mean(n=0)


@dataclass(frozen=True)
class Comparison:
    diff: float | None
    p_value: float | None
    prob_beats_control: float | None
    outcome: str  # one of stats.NOT_ENOUGH_DATA, NO_DIFFERENCE, BETTER, WORSE
    verdict: str  # the outcome in plain words


@dataclass(frozen=True)
class ArmResult:
    arm: ExperimentArm
    drafts: int
    sample: Sample
    interval: tuple[float, float] | None
    comparison: Comparison | None  # None for the control arm
    latency_ms: float | None
    cost: float | None
    series: list[tuple[date, Sample]]
    # Threads with a reply sent and those that booked, whatever the primary metric.
    booked: Proportion = field(default_factory=lambda: Proportion(n=0, successes=0))

    @property
    def booked_interval(self) -> tuple[float, float]:
        return stats.wilson_interval(self.booked)

    @property
    def n(self) -> int:
        return self.sample.n

    @property
    def successes(self) -> int | None:
        return self.sample.successes if isinstance(self.sample, Proportion) else None

    @property
    def rate(self) -> float | None:
        """The metric's value: a rate for proportions, a mean otherwise."""
        return self.sample.value

    def as_json(self) -> dict:
        arm = self.arm
        return {
            "arm": arm.key,
            "label": arm.label,
            "is_control": arm.is_control,
            "workflow_version": arm.workflow_version.label,
            "engine_id": arm.engine_id,
            "weight": arm.weight,
            "paused_reason": arm.paused_reason,
            "drafts": self.drafts,
            "n": self.n,
            "successes": self.successes,
            "rate": self.rate,
            "ci_low": self.interval[0] if self.interval else None,
            "ci_high": self.interval[1] if self.interval else None,
            "latency_ms": self.latency_ms,
            "cost_per_draft": self.cost,
            "booked_threads": self.booked.n,
            "booked": self.booked.successes,
            "booked_rate": self.booked.value,
            "booked_ci_low": self.booked_interval[0] if self.booked.n else None,
            "booked_ci_high": self.booked_interval[1] if self.booked.n else None,
            "comparison": (
                {
                    "diff": self.comparison.diff,
                    "p_value": self.comparison.p_value,
                    "prob_beats_control": self.comparison.prob_beats_control,
                    "outcome": self.comparison.outcome,
                    "verdict": self.comparison.verdict,
                }
                if self.comparison
                else None
            ),
        }


@dataclass(frozen=True)
class ExperimentResults:
    experiment: Experiment
    arms: list[ArmResult]

    @property
    def winner(self) -> ArmResult | None:
        """The best arm that beats control at the minimum sample; None until one does."""
        better = [
            result
            for result in self.arms
            if result.comparison and result.comparison.outcome == stats.BETTER
        ]
        if not better:
            return None
        sign = 1 if self.experiment.higher_is_better else -1
        return max(better, key=lambda result: sign * result.rate)


def _comparison(experiment: Experiment, arm: ExperimentArm, control: Sample, sample: Sample):
    test = stats.compare(control, sample)
    outcome = stats.verdict(
        control,
        sample,
        test,
        min_sample=experiment.min_sample,
        higher_is_better=experiment.higher_is_better,
    )
    return Comparison(
        diff=test.diff if test else None,
        p_value=test.p_value if test else None,
        prob_beats_control=stats.prob_beats(
            control, sample, higher_is_better=experiment.higher_is_better
        ),
        outcome=outcome,
        verdict=stats.verdict_text(outcome, arm.key),
    )


def experiment_results(
    experiment: Experiment, outcomes: dict[str, ArmOutcome]
) -> ExperimentResults:
    """Results for every arm, control first; ``outcomes`` is keyed by arm label."""
    arms = sorted(experiment.arms.all(), key=lambda arm: (not arm.is_control, arm.key))
    metric = experiment.metric

    def sample_of(arm: ExperimentArm, name: str) -> Sample:
        outcome = outcomes.get(arm.label, ArmOutcome())
        return outcome.metrics.get(name, empty_sample(name))

    control = next((arm for arm in arms if arm.is_control), arms[0])
    control_sample = sample_of(control, metric)
    results = []
    for arm in arms:
        sample = sample_of(arm, metric)
        outcome = outcomes.get(arm.label, ArmOutcome())
        results.append(
            ArmResult(
                arm=arm,
                drafts=outcome.drafts,
                sample=sample,
                interval=stats.interval(sample),
                comparison=(
                    None
                    if arm.id == control.id
                    else _comparison(experiment, arm, control_sample, sample)
                ),
                latency_ms=sample_of(arm, Metric.LATENCY).value,
                cost=sample_of(arm, Metric.COST).value,
                series=outcome.series,
                booked=sample_of(arm, Metric.BOOKED),
            )
        )
    return ExperimentResults(experiment=experiment, arms=results)
