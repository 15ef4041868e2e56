"""The promotion gate: not worse than the champion, on the same cases, per guarded metric."""

import pytest
from django.core.exceptions import ValidationError

from engines.services import engine_build_register
from engines.training.promotion import promotion_policy, promotion_policy_set, promotion_verdict
from prospects.builds.promotion import PromotionRefused, build_promote
from prospects.engine_switch import draft_engine_set
from prospects.selectors import pipeline_settings
from tests.support.factories import scored

pytestmark = pytest.mark.django_db

CHAMPION = "endpoint-gemma3-270m_1"
CANDIDATE = "endpoint-gemma3-270m_1-voice-2"


@pytest.fixture
def champion(admin_user):
    scored(CHAMPION, hold_rate=0.20, gate_pass_rate=0.80)
    draft_engine_set(engine_id=CHAMPION, user=admin_user)


def test_a_build_not_worse_within_the_margins_is_promoted(champion, admin_user):
    scored(CANDIDATE, hold_rate=0.21, gate_pass_rate=0.79)  # worse, but by 0.01 < 0.02
    build_promote(engine_id=CANDIDATE, user=admin_user)
    assert pipeline_settings().draft_engine == CANDIDATE
    assert pipeline_settings().history.first().history_user == admin_user


def test_a_worse_build_is_refused_and_the_failed_metric_named(champion, admin_user):
    scored(CANDIDATE, hold_rate=0.40, gate_pass_rate=0.81)
    with pytest.raises(PromotionRefused) as refused:
        build_promote(engine_id=CANDIDATE, user=admin_user)
    [problem] = refused.value.verdict.problems
    assert problem.startswith("hold rate: 0.400 against the champion's 0.200")
    assert pipeline_settings().draft_engine == CHAMPION


def test_a_build_must_be_evaluated_on_the_champions_cases(champion, admin_user):
    scored(CANDIDATE, cases_sha256="b" * 64, hold_rate=0.0, gate_pass_rate=1.0)
    verdict = promotion_verdict(CANDIDATE, CHAMPION, promotion_policy().guards)
    assert not verdict.ok
    # Both guarded voice metrics miss the same evaluation: it is said once.
    [same_cases] = verdict.problems
    assert "no voice evaluation on the same cases" in same_cases
    engine_build_register(engine_id="endpoint-other_1")
    unevaluated = promotion_verdict("endpoint-other_1", CHAMPION, promotion_policy().guards)
    [unevaluated_problem] = unevaluated.problems
    assert "evaluate it first" in unevaluated_problem


def test_over_the_template_champion_an_evaluated_build_passes(admin_user):
    engine_build_register(engine_id="template")
    scored(CANDIDATE, hold_rate=0.5, gate_pass_rate=0.5)
    build_promote(engine_id=CANDIDATE, user=admin_user)
    assert pipeline_settings().draft_engine == CANDIDATE


def test_guards_are_configurable_and_checked(champion, admin_user):
    scored(CHAMPION, head="classifier", move_accuracy=0.9)
    scored(CANDIDATE, hold_rate=0.2, gate_pass_rate=0.8)
    scored(CANDIDATE, head="classifier", move_accuracy=0.5)
    promotion_policy_set(guards={"move_accuracy": 0.1}, user=admin_user)
    verdict = promotion_verdict(CANDIDATE, CHAMPION, promotion_policy().guards)
    assert [row.metric for row in verdict.comparisons] == ["move_accuracy"]
    assert "move accuracy: 0.500" in verdict.problems[0]
    with pytest.raises(ValidationError) as refused:
        promotion_policy_set(guards={"charm": 0.1, "hold_rate": -1}, user=admin_user)
    assert set(refused.value.message_dict) == {"charm", "hold_rate"}
    assert promotion_policy().history.count() == 2
