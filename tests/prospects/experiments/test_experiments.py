"""Experiments on live traffic: routing, guardrails, results, promotion and rollback."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from builder.experiments import assign_arm
from builder.models import Experiment, Metric
from builder.resolve import Situation
from builder.stats import Proportion, two_proportion_test, wilson_interval
from core.clock import now
from prospects.drafting.pipeline import draft_for_decision
from prospects.experiments.services import (
    EngineFlipUnconfirmed,
    arm_outcomes,
    experiment_promote,
    experiment_rollback,
    results_csv,
    results_for,
)
from prospects.models import Draft, Outcome
from prospects.outcomes import outcome_record
from prospects.review.services import draft_approve, draft_correct, draft_reject
from prospects.selectors import pipeline_settings
from tests.support.drafting import as_drafted, ingest, review_with_winner
from tests.support.factories import GEMMA, make_inbound

pytestmark = pytest.mark.django_db

WELCOME = Situation(archetype="new_contact", state="new", template_key="opener.welcome")


def welcome_drafts(count: int) -> list[Draft]:
    return [as_drafted(ingest(make_inbound("Hi there")).draft) for _ in range(count)]


def test_decisions_and_drafts_record_the_arm_and_run_its_engine(experiment):
    drafts = welcome_drafts(30)
    arms = {draft.experiment_arm for draft in drafts}
    assert arms == {"welcome-ab:A", "welcome-ab:B"}
    for draft in drafts:
        expected = "template" if draft.experiment_arm.endswith(":A") else GEMMA
        assert draft.engine_id == expected
        assert draft.decision.experiment_arm == draft.experiment_arm
        assert draft.decision.engine_id == expected


def test_a_thread_keeps_its_arm(experiment):
    drafts = welcome_drafts(10)
    for draft in drafts:
        again = assign_arm(WELCOME, str(draft.thread_id))
        assert again.label == draft.experiment_arm


def test_situations_outside_the_scope_resolve_as_usual(experiment):
    draft = ingest(make_inbound("Are you free Saturday evening?")).draft
    assert draft.decision.template_key != "opener.welcome"
    assert draft.experiment_arm == ""
    assert draft.engine_id == pipeline_settings().draft_engine


def test_the_guardrail_pauses_an_arm_whose_drafts_are_held(experiment, settings):
    # Arm B's model build has no endpoint here and no wait is allowed for it, so every one
    # of its drafts is held.
    settings.LIVE_DRAFT_MAX_WAIT_SECONDS = 0
    settings.EXPERIMENT_GUARDRAIL_MIN_DRAFTS = 5
    drafts = welcome_drafts(40)
    arm_b = experiment.arms.get(key="B")
    assert arm_b.paused_at is not None
    assert "Hold rate 100% over 5 drafts" in arm_b.paused_reason
    b_drafts = [draft for draft in drafts if draft.experiment_arm == "welcome-ab:B"]
    assert len(b_drafts) == 5
    assert experiment.arms.get(key="A").paused_at is None
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.RUNNING


def test_the_guardrail_pauses_an_arm_whose_drafts_are_rejected(experiment, settings, coworker):
    settings.EXPERIMENT_GUARDRAIL_MIN_DRAFTS = 3
    settings.EXPERIMENT_GUARDRAIL_HOLD_RATE = 1.0
    a_drafts = [d for d in welcome_drafts(16) if d.experiment_arm == "welcome-ab:A"][:3]
    for draft in a_drafts[:2]:
        draft_reject(draft_id=draft.id, user=coworker, reason_tags=["tone"])
    assert experiment.arms.get(key="A").paused_at is None
    draft_reject(draft_id=a_drafts[2].id, user=coworker)
    assert "Rejection rate 100% over 3 reviewed" in experiment.arms.get(key="A").paused_reason


def test_results_count_each_arm_and_compare_to_control(experiment, coworker):
    drafts = welcome_drafts(24)
    by_arm = {"A": [], "B": []}
    for draft in drafts:
        by_arm[draft.experiment_arm[-1]].append(draft)
    # A: every draft approved as is. B: half approved, the rest corrected.
    for draft in by_arm["A"]:
        draft_approve(draft_id=draft.id, user=coworker)
    for index, draft in enumerate(by_arm["B"]):
        if index % 2:
            draft_correct(draft_id=draft.id, user=coworker, body="Rewritten reply.")
        else:
            draft_approve(draft_id=draft.id, user=coworker)

    results = results_for(experiment)
    control, challenger = results.arms
    n_a, n_b = len(by_arm["A"]), len(by_arm["B"])
    assert (control.arm.key, control.n, control.successes) == ("A", n_a, n_a)
    assert (challenger.n, challenger.successes) == (n_b, (n_b + 1) // 2)
    expected = two_proportion_test(Proportion(n_a, n_a), Proportion(n_b, (n_b + 1) // 2))
    assert challenger.comparison.p_value == pytest.approx(expected.p_value)
    assert challenger.comparison.diff == pytest.approx(expected.diff)
    assert control.comparison is None
    assert control.interval[1] == pytest.approx(1.0)
    assert challenger.drafts == n_b
    csv_text = results_csv(results)
    assert csv_text.splitlines()[0].startswith("experiment,metric,arm,label")
    assert len(csv_text.splitlines()) == 3


def test_the_series_is_cumulative_per_day(experiment, coworker):
    drafts = welcome_drafts(12)
    a_drafts = [draft for draft in drafts if draft.experiment_arm.endswith(":A")]
    yesterday = now() - timedelta(days=1)
    Draft.objects.filter(id=a_drafts[0].id).update(created_at=yesterday)
    draft_approve(draft_id=a_drafts[0].id, user=coworker)
    draft_reject(draft_id=a_drafts[1].id, user=coworker)
    series = arm_outcomes(experiment)["welcome-ab:A"].series
    assert [sample.n for _, sample in series] == [1, 2]
    assert [sample.successes for _, sample in series] == [1, 1]


def test_promotion_publishes_the_winner_flips_the_engine_and_rolls_back(
    experiment, coworker, admin_user, operator
):
    review_with_winner(coworker)
    results = results_for(experiment)
    assert results.winner.arm.key == "B"
    assert results.arms[1].comparison.verdict == "B better"
    workflow = results.winner.arm.workflow_version.workflow
    old_live = workflow.live_version

    with pytest.raises(PermissionDenied):
        experiment_promote(experiment=experiment, user=operator)
    with pytest.raises(EngineFlipUnconfirmed) as caught:
        experiment_promote(experiment=experiment, user=admin_user)
    assert "template" in str(caught.value)
    assert GEMMA in str(caught.value)
    experiment_promote(experiment=experiment, user=admin_user, confirm_engine=True)

    experiment.refresh_from_db()
    workflow.refresh_from_db()
    assert experiment.status == Experiment.Status.FINISHED
    assert experiment.champion.key == "B"
    assert workflow.live_version == results.winner.arm.workflow_version
    assert pipeline_settings().draft_engine == GEMMA
    assert experiment.history.filter(status="finished").exists()

    experiment_rollback(experiment=experiment, user=admin_user, confirm_engine=True)
    workflow.refresh_from_db()
    assert workflow.live_version.definition == old_live.definition
    assert workflow.live_version.number > results.winner.arm.workflow_version.number
    assert pipeline_settings().draft_engine == "template"
    with pytest.raises(ValidationError):
        experiment_rollback(experiment=experiment, user=admin_user, confirm_engine=True)


def test_no_promotion_without_a_winner_or_below_the_minimum_sample(experiment, admin_user):
    welcome_drafts(4)
    with pytest.raises(ValidationError) as caught:
        experiment_promote(experiment=experiment, user=admin_user)
    assert "No arm beats control" in caught.value.message_dict["arm"][0]
    with pytest.raises(ValidationError) as caught:
        experiment_promote(experiment=experiment, user=admin_user, arm_key="B")
    assert "observations needed" in caught.value.message_dict["arm"][0]
    with pytest.raises(ValidationError):
        experiment_promote(experiment=experiment, user=admin_user, arm_key="Z")


def test_promoting_control_keeps_the_engine_and_needs_no_admin(experiment, coworker, operator):
    review_with_winner(coworker)
    Draft.objects.filter(experiment_arm="welcome-ab:A").update(status=Draft.Status.APPROVED)
    Draft.objects.filter(experiment_arm="welcome-ab:A").first().correction.delete()
    experiment_promote(experiment=experiment, user=operator, arm_key="A")
    experiment.refresh_from_db()
    assert experiment.champion.key == "A"
    assert pipeline_settings().draft_engine == "template"


def test_a_redraft_by_another_engine_is_not_credited_to_the_arm(experiment):
    draft = welcome_drafts(1)[0]
    same = draft_for_decision(draft.decision)
    assert same.experiment_arm == draft.experiment_arm
    other_engine = GEMMA if draft.engine_id == "template" else "template"
    redraft = draft_for_decision(draft.decision, engine_id=other_engine)
    assert redraft.experiment_arm == ""


def test_booked_is_a_primary_metric_per_thread_with_a_wilson_interval(experiment, coworker):

    drafts = welcome_drafts(12)
    Draft.objects.filter(id__in=[draft.id for draft in drafts]).update(
        status=Draft.Status.SENT, sent_at=now()
    )
    by_arm = {"A": [], "B": []}
    for draft in drafts:
        by_arm[draft.experiment_arm[-1]].append(draft)
    booked = {"A": by_arm["A"][:3], "B": by_arm["B"][:1]}
    for draft in booked["A"] + booked["B"]:
        outcome_record(thread=draft.thread, outcome=Outcome.BOOKED, user=coworker, source="api")
    outcome_record(
        thread=by_arm["B"][1].thread, outcome=Outcome.DECLINED, user=coworker, source="api"
    )
    experiment.metric = Metric.BOOKED
    experiment.save()

    control, challenger = results_for(experiment).arms

    assert (control.n, control.successes) == (len(by_arm["A"]), 3)
    assert (challenger.n, challenger.successes) == (len(by_arm["B"]), 1)
    assert control.interval == pytest.approx(wilson_interval(Proportion(len(by_arm["A"]), 3)))
    assert challenger.booked == Proportion(len(by_arm["B"]), 1)
    row = control.as_json()
    assert (row["booked_threads"], row["booked"]) == (len(by_arm["A"]), 3)
    assert row["booked_ci_low"] == pytest.approx(control.interval[0])
    assert experiment.higher_is_better
