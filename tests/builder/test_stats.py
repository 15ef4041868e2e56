"""builder/stats.py against scipy and statsmodels on known inputs."""

import numpy as np
import pytest
from scipy import integrate
from scipy import stats as scipy_stats
from statsmodels.stats.proportion import proportion_confint, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from builder import stats
from builder.stats import Mean, Proportion

PROPORTIONS = [(0, 10), (3, 10), (10, 10), (45, 120), (512, 1000), (1, 2000)]


@pytest.mark.parametrize(("successes", "n"), PROPORTIONS)
def test_wilson_interval_matches_statsmodels(successes, n):
    low, high = stats.wilson_interval(Proportion(n=n, successes=successes))
    expected = proportion_confint(successes, n, alpha=0.05, method="wilson")
    assert (low, high) == pytest.approx(expected, abs=1e-12)


def test_wilson_interval_of_nothing_is_everything():
    assert stats.wilson_interval(Proportion(n=0, successes=0)) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("control", "arm"),
    [
        ((30, 100), (45, 100)),
        ((120, 400), (118, 410)),
        ((5, 40), (15, 35)),
        ((400, 1000), (460, 1000)),
    ],
)
def test_two_proportion_test_matches_statsmodels(control, arm):
    result = stats.two_proportion_test(
        Proportion(n=control[1], successes=control[0]), Proportion(n=arm[1], successes=arm[0])
    )
    _, p_value = proportions_ztest([arm[0], control[0]], [arm[1], control[1]])
    assert result.p_value == pytest.approx(p_value, rel=1e-9)
    assert result.diff == pytest.approx(arm[0] / arm[1] - control[0] / control[1])


def test_two_proportion_test_without_variance_finds_no_difference():
    result = stats.two_proportion_test(Proportion(10, 10), Proportion(20, 20))
    assert result.p_value == 1.0


def _mean(values) -> Mean:
    return Mean(n=len(values), mean=float(np.mean(values)), sd=float(np.std(values, ddof=1)))


def test_mean_interval_and_welch_test_match_statsmodels():
    rng = np.random.default_rng(7)
    control, arm = rng.normal(40, 12, 150), rng.normal(36, 9, 170)
    low, high = stats.mean_interval(_mean(control))
    assert (low, high) == pytest.approx(DescrStatsW(control).zconfint_mean(alpha=0.05))
    result = stats.two_mean_test(_mean(control), _mean(arm))
    _, p_value = CompareMeans.from_data(arm, control).ztest_ind(usevar="unequal")
    assert result.p_value == pytest.approx(p_value, rel=1e-9)
    assert result.diff == pytest.approx(arm.mean() - control.mean())


def _prob_higher_by_integration(control: Proportion, arm: Proportion) -> float:
    posterior_c = scipy_stats.beta(1 + control.successes, 1 + control.n - control.successes)
    posterior_a = scipy_stats.beta(1 + arm.successes, 1 + arm.n - arm.successes)
    value, _ = integrate.quad(lambda x: posterior_a.pdf(x) * posterior_c.cdf(x), 0, 1, limit=200)
    return value


@pytest.mark.parametrize(
    ("control", "arm"),
    [
        (Proportion(10, 3), Proportion(10, 6)),
        (Proportion(80, 30), Proportion(75, 30)),
        (Proportion(200, 90), Proportion(210, 120)),
        (Proportion(3, 0), Proportion(5, 5)),
    ],
)
def test_probability_of_beating_control_matches_beta_posteriors(control, arm):
    expected = _prob_higher_by_integration(control, arm)
    assert stats.prob_higher(control, arm) == pytest.approx(expected, abs=1e-6)
    assert stats.prob_beats(control, arm, higher_is_better=False) == pytest.approx(
        1 - expected, abs=1e-6
    )


def test_probability_for_means_is_the_normal_posterior():
    control, arm = Mean(n=50, mean=10.0, sd=4.0), Mean(n=60, mean=11.0, sd=5.0)
    se = (4.0**2 / 50 + 5.0**2 / 60) ** 0.5
    expected = scipy_stats.norm.cdf(1.0 / se)
    assert stats.prob_beats(control, arm, higher_is_better=True) == pytest.approx(expected)
    assert stats.prob_beats(control, arm, higher_is_better=False) == pytest.approx(1 - expected)


def test_no_verdict_below_the_minimum_sample_however_large_the_gap():
    control, arm = Proportion(50, 5), Proportion(50, 45)
    test = stats.two_proportion_test(control, arm)
    assert test.p_value < 1e-10
    assert (
        stats.verdict(control, arm, test, min_sample=100, higher_is_better=True)
        == stats.NOT_ENOUGH_DATA
    )
    assert stats.verdict(control, arm, test, min_sample=50, higher_is_better=True) == stats.BETTER


@pytest.mark.parametrize(
    ("arm_successes", "higher_is_better", "expected"),
    [
        (300, True, stats.BETTER),
        (300, False, stats.WORSE),
        (205, True, stats.NO_DIFFERENCE),
        (100, True, stats.WORSE),
    ],
)
def test_verdicts_follow_the_metric_direction(arm_successes, higher_is_better, expected):
    control, arm = Proportion(1000, 200), Proportion(1000, arm_successes)
    test = stats.two_proportion_test(control, arm)
    outcome = stats.verdict(control, arm, test, min_sample=100, higher_is_better=higher_is_better)
    assert outcome == expected
    assert stats.verdict_text(stats.BETTER, "B") == "B better"
