"""Experiments in builder: validation, overlap, sticky weighted assignment, lifecycle."""

import uuid
from collections import Counter

import pytest
from django.core.exceptions import ValidationError

from builder.experiments import (
    ArmSpec,
    Scope,
    arm_pause,
    assign_arm,
    experiment_create,
    experiment_pause,
    experiment_start,
    experiment_update,
    pick_arm,
)
from builder.models import Experiment, ExperimentArm
from builder.resolve import Situation
from builder.services import workflow_save_draft
from tests.support.factories import GEMMA, definition

pytestmark = pytest.mark.django_db

WELCOME = Situation(archetype="new_contact", state="new", template_key="opener.welcome")


def make_experiment(versions, slug="welcome-ab", weights=(1, 1), scope=None, **options):
    live, challenger = versions
    arms = [
        ArmSpec(key="A", workflow_version=live, engine_id="template", weight=weights[0]),
        ArmSpec(key="B", workflow_version=challenger, engine_id=GEMMA, weight=weights[1]),
    ]
    return experiment_create(
        slug=slug,
        name="Terse welcome",
        arms=arms,
        scope=scope if scope is not None else {"template_keys": ["opener.welcome"]},
        **options,
    )


def test_the_first_arm_is_control_unless_one_is_marked(experiment_versions):
    experiment = make_experiment(experiment_versions)
    assert [(arm.key, arm.is_control) for arm in experiment.arms.all()] == [
        ("A", True),
        ("B", False),
    ]
    assert experiment.status == Experiment.Status.DRAFT


def test_invalid_experiments_name_each_field(experiment_versions):
    live, _ = experiment_versions
    with pytest.raises(ValidationError) as caught:
        experiment_create(
            slug="bad",
            name="Bad",
            arms=[
                ArmSpec(key="A", workflow_version=live, engine_id="not an id!", weight=0),
            ],
            scope={"archetypes": ["astronaut"]},
        )
    errors = caught.value.message_dict
    assert errors["arms"] == ["An experiment needs at least two arms."]
    assert "positive" in errors["arms[0].weight"][0]
    assert "arms[0].engine_id" in errors
    assert errors["archetypes"] == ["Unknown: astronaut."]
    assert not Experiment.objects.exists()


def test_an_unknown_or_archived_version_is_refused(experiment_versions):
    live, challenger = experiment_versions
    challenger.status = challenger.Status.ARCHIVED
    challenger.save()
    with pytest.raises(ValidationError) as caught:
        experiment_create(
            slug="x",
            name="X",
            arms=[
                ArmSpec(key="A", workflow_version=None, engine_id="template"),
                ArmSpec(key="B", workflow_version=challenger, engine_id="template"),
            ],
        )
    errors = caught.value.message_dict
    assert errors["arms[0].workflow_version"] == ["Unknown workflow version."]
    assert "archived" in errors["arms[1].workflow_version"][0]


def test_assignment_matches_the_weights_over_ten_thousand_threads(experiment_versions):
    experiment = make_experiment(experiment_versions, weights=(1, 3))
    arms = list(experiment.arms.all())
    counts = Counter(pick_arm(experiment.id, str(uuid.uuid4()), arms).key for _ in range(10_000))
    # Binomial(10,000, 0.25): the standard deviation is 43, so ±200 is beyond 4.5 sigma.
    assert abs(counts["A"] - 2_500) < 200
    assert abs(counts["B"] - 7_500) < 200


def test_assignment_is_sticky_per_thread_and_differs_between_experiments(experiment_versions):
    first = make_experiment(experiment_versions)
    second = make_experiment(experiment_versions, slug="other")
    threads = [str(uuid.uuid4()) for _ in range(200)]
    arms_first = list(first.arms.all())
    picks = [pick_arm(first.id, thread, arms_first).key for thread in threads]
    assert picks == [pick_arm(first.id, thread, arms_first).key for thread in threads]
    # Reordering the arms changes nothing: the order is by key.
    assert picks == [pick_arm(first.id, thread, arms_first[::-1]).key for thread in threads]
    arms_second = list(second.arms.all())
    other = [pick_arm(second.id, thread, arms_second).key for thread in threads]
    assert other != picks


def test_only_running_experiments_covering_the_situation_assign(experiment_versions):
    experiment = make_experiment(experiment_versions)
    assert assign_arm(WELCOME, "t-1") is None
    experiment_start(experiment=experiment)
    assert assign_arm(WELCOME, "t-1").experiment_id == experiment.id
    elsewhere = Situation(archetype="new_contact", state="new", template_key="pursue.next_step")
    assert assign_arm(elsewhere, "t-1") is None
    experiment_pause(experiment=experiment)
    assert assign_arm(WELCOME, "t-1") is None


def test_a_paused_arm_takes_no_threads(experiment_versions):
    experiment = experiment_start(experiment=make_experiment(experiment_versions))
    arm_pause(arm=experiment.arms.get(key="B"), reason="Hold rate too high")
    assert {assign_arm(WELCOME, f"t-{n}").key for n in range(50)} == {"A"}


def test_when_every_arm_is_paused_the_experiment_pauses_with_why(experiment_versions):
    experiment = experiment_start(experiment=make_experiment(experiment_versions))
    for arm in experiment.arms.all():
        arm_pause(arm=arm, reason="guardrail")
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.PAUSED
    assert "guardrail" in experiment.status_reason


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ({"template_keys": ["opener.welcome"]}, {"template_keys": ["opener.welcome"]}, True),
        ({"template_keys": ["opener.welcome"]}, {"template_keys": ["pursue.next_step"]}, False),
        ({}, {"states": ["new"]}, True),
        ({"states": ["new"]}, {"states": ["engaged"], "archetypes": ["referral"]}, False),
        ({"archetypes": ["referral"]}, {"states": ["engaged"]}, True),
    ],
)
def test_overlapping_running_scopes_are_refused(experiment_versions, first, second, overlap):
    experiment_start(experiment=make_experiment(experiment_versions, slug="first", scope=first))
    candidate = make_experiment(experiment_versions, slug="second", scope=second)
    if overlap:
        with pytest.raises(ValidationError) as caught:
            experiment_start(experiment=candidate)
        assert "first" in caught.value.message_dict["scope"][0]
    else:
        assert experiment_start(experiment=candidate).status == Experiment.Status.RUNNING
    assert Scope.of(candidate).overlaps(Scope.of(Experiment.objects.get(slug="first"))) is overlap


def test_a_running_experiment_cannot_be_edited(experiment_versions):
    experiment = experiment_start(experiment=make_experiment(experiment_versions))
    with pytest.raises(ValidationError) as caught:
        experiment_update(experiment=experiment, name="New name", arms=[])
    assert "running" in caught.value.message_dict["status"][0]


def test_editing_a_draft_version_under_experiment_makes_a_new_version(experiment_versions):
    live, challenger = experiment_versions
    make_experiment(experiment_versions)
    edited = workflow_save_draft(workflow=live.workflow, definition=definition(name="Edited"))
    assert edited.id != challenger.id
    challenger.refresh_from_db()
    assert challenger.definition["name"] == "Terse"
    assert ExperimentArm.objects.get(key="B").workflow_version_id == challenger.id
