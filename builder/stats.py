"""The statistics experiments report: intervals, tests against control and Bayesian odds.

Plain functions of counts and moments, so they are checked against scipy and statsmodels
on known inputs and the panel, the API and the CSV all read one set of figures.
Two-sided tests at ``ALPHA``; normal approximations for means (arms compared here have
hundreds of drafts before a verdict, where the t and normal distributions agree).
"""

import math
from dataclasses import dataclass
from statistics import NormalDist

ALPHA = 0.05
CONFIDENCE = 1 - ALPHA
_NORMAL = NormalDist()


def _z(confidence: float) -> float:
    return _NORMAL.inv_cdf(1 - (1 - confidence) / 2)


def _two_sided_p(z: float) -> float:
    return 2 * (1 - _NORMAL.cdf(abs(z)))


@dataclass(frozen=True)
class Proportion:
    """``successes`` out of ``n`` observations."""

    n: int
    successes: int

    @property
    def value(self) -> float | None:
        return self.successes / self.n if self.n else None


@dataclass(frozen=True)
class Mean:
    """The mean and sample standard deviation (ddof=1) of ``n`` observations."""

    n: int
    mean: float | None = None
    sd: float | None = None

    @property
    def value(self) -> float | None:
        return self.mean if self.n else None


Sample = Proportion | Mean


@dataclass(frozen=True)
class TestResult:
    diff: float  # the arm's value minus control's
    p_value: float


def wilson_interval(sample: Proportion, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval; (0, 1) when there are no observations."""
    if not sample.n:
        return 0.0, 1.0
    z, n, p = _z(confidence), sample.n, sample.successes / sample.n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(centre - half, 0.0), min(centre + half, 1.0)


def mean_interval(sample: Mean, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """The normal interval of the mean; None below two observations."""
    if sample.n < 2 or sample.mean is None or sample.sd is None:
        return None
    half = _z(confidence) * sample.sd / math.sqrt(sample.n)
    return sample.mean - half, sample.mean + half


def interval(sample: Sample) -> tuple[float, float] | None:
    return wilson_interval(sample) if isinstance(sample, Proportion) else mean_interval(sample)


def two_proportion_test(control: Proportion, arm: Proportion) -> TestResult | None:
    """The pooled two-proportion z-test, two-sided; None when either side is empty."""
    if not control.n or not arm.n:
        return None
    diff = arm.value - control.value
    pooled = (control.successes + arm.successes) / (control.n + arm.n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / arm.n))
    if se == 0:
        return TestResult(diff=diff, p_value=1.0)
    return TestResult(diff=diff, p_value=_two_sided_p(diff / se))


def _mean_se(control: Mean, arm: Mean) -> float:
    return math.sqrt(control.sd**2 / control.n + arm.sd**2 / arm.n)


def two_mean_test(control: Mean, arm: Mean) -> TestResult | None:
    """Welch's unequal-variance z-test, two-sided; None below two observations a side."""
    if control.n < 2 or arm.n < 2:
        return None
    diff = arm.mean - control.mean
    se = _mean_se(control, arm)
    if se == 0:
        return TestResult(diff=diff, p_value=1.0 if diff == 0 else 0.0)
    return TestResult(diff=diff, p_value=_two_sided_p(diff / se))


def compare(control: Sample, arm: Sample) -> TestResult | None:
    if isinstance(control, Proportion):
        return two_proportion_test(control, arm)
    return two_mean_test(control, arm)


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def prob_higher(control: Proportion, arm: Proportion) -> float:
    """P(arm's rate > control's) with Beta(1, 1) priors: Beta(1 + s, 1 + n - s) posteriors.

    The exact sum for an integer posterior parameter (Evan Miller's closed form), one term
    per success of the arm.
    """
    a_c, b_c = 1 + control.successes, 1 + control.n - control.successes
    a_a, b_a = 1 + arm.successes, 1 + arm.n - arm.successes
    total = 0.0
    for i in range(a_a):
        total += math.exp(
            _log_beta(a_c + i, b_c + b_a)
            - math.log(b_a + i)
            - _log_beta(1 + i, b_a)
            - _log_beta(a_c, b_c)
        )
    return min(max(total, 0.0), 1.0)


def prob_mean_higher(control: Mean, arm: Mean) -> float | None:
    """P(arm's mean > control's) under normal posteriors of the two means."""
    if control.n < 2 or arm.n < 2:
        return None
    se = _mean_se(control, arm)
    if se == 0:
        return 0.5 if arm.mean == control.mean else float(arm.mean > control.mean)
    return _NORMAL.cdf((arm.mean - control.mean) / se)


def prob_beats(control: Sample, arm: Sample, *, higher_is_better: bool) -> float | None:
    """The probability that the arm is better than control on this metric."""
    if isinstance(control, Proportion):
        if not control.n or not arm.n:
            return None
        higher = prob_higher(control, arm)
    else:
        higher = prob_mean_higher(control, arm)
        if higher is None:
            return None
    return higher if higher_is_better else 1 - higher


NOT_ENOUGH_DATA = "not_enough_data"
NO_DIFFERENCE = "no_difference"
BETTER = "better"
WORSE = "worse"


def verdict(
    control: Sample,
    arm: Sample,
    test: TestResult | None,
    *,
    min_sample: int,
    higher_is_better: bool,
) -> str:
    """A verdict on the arm against control; never a winner below the minimum sample."""
    if test is None or control.n < min_sample or arm.n < min_sample:
        return NOT_ENOUGH_DATA
    if test.p_value >= ALPHA or test.diff == 0:
        return NO_DIFFERENCE
    return BETTER if (test.diff > 0) == higher_is_better else WORSE


def verdict_text(outcome: str, arm_key: str) -> str:
    return {
        NOT_ENOUGH_DATA: "not enough data",
        NO_DIFFERENCE: "no detectable difference",
        BETTER: f"{arm_key} better",
        WORSE: f"{arm_key} worse",
    }[outcome]
