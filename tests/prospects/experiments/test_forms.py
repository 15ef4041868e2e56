"""Experiment forms: a bad arm value sits in its own cell, a refused promotion, rollback or
status change next to the arm choice or the confirm box; nothing is written."""

import uuid

import pytest
from django.core.exceptions import ValidationError

from builder.models import Experiment
from prospects.experiments.forms import ArmFormSet, ExperimentForm, add_experiment_error
from prospects.selectors import pipeline_settings
from tests.support.drafting import review_with_winner
from tests.support.factories import GEMMA
from tests.support.panel import field_error, logged_in

pytestmark = pytest.mark.django_db


def new_experiment(rows: dict[int, dict], **fields) -> dict:
    """The new-experiment page's POST: the experiment's fields and the arm rows given."""
    data = {
        "name": "Try",
        "slug": "try",
        "metric": "accepted_unedited",
        "min_sample": "10",
        "control": "0",
        "arm-TOTAL_FORMS": "4",
        "arm-INITIAL_FORMS": "0",
        **fields,
    }
    for index in range(4):
        row = {"key": "", "workflow_version": "", "engine_id": "template", "weight": "1"}
        row.update(rows.get(index, {}))
        data.update({f"arm-{index}-{name}": value for name, value in row.items()})
    return data


def two_arms(experiment_versions, **second) -> dict[int, dict]:
    live, challenger = experiment_versions
    return {
        0: {"key": "A", "workflow_version": str(live.id)},
        1: {"key": "B", "workflow_version": str(challenger.id), **second},
    }


@pytest.mark.parametrize(
    ("second", "field", "message"),
    [
        ({"weight": "0"}, "weight", "positive whole number"),
        ({"weight": "1.5"}, "weight", "positive whole number"),
        ({"weight": "abc"}, "weight", "positive whole number"),
        ({"engine_id": "no-such-engine"}, "engine_id", "Select a valid choice"),
        ({"workflow_version": str(uuid.uuid4())}, "workflow_version", "Select a valid choice"),
        ({"workflow_version": ""}, "workflow_version", "Pick a workflow version."),
        ({"key": "B B"}, "key", "valid “slug”"),
    ],
)
def test_a_bad_arm_value_is_shown_in_its_own_cell(
    experiment_versions, operator, second, field, message
):
    response = logged_in(operator).post(
        "/experiments/new/", new_experiment(two_arms(experiment_versions, **second))
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert message in field_error(page, f"arm-1-{field}")
    assert f'aria-describedby="id_arm-1-{field}_error"' in page
    assert "id_arm-0-" + field + "_error" not in page
    assert 'name="arm-0-key" value="A"' in page
    assert not Experiment.objects.exists()


def test_a_bad_minimum_sample_is_shown_next_to_it(experiment_versions, operator):
    response = logged_in(operator).post(
        "/experiments/new/", new_experiment(two_arms(experiment_versions), min_sample="ten")
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter a whole number." in field_error(page, "min_sample")
    assert 'value="ten"' in page
    assert not Experiment.objects.exists()


def test_the_service_rules_come_back_on_the_form(experiment_versions, operator):
    client = logged_in(operator)
    live, _ = experiment_versions
    one_arm = {0: {"key": "A", "workflow_version": str(live.id)}}
    page = client.post("/experiments/new/", new_experiment(one_arm)).content.decode()
    assert "An experiment needs at least two arms." in page
    twice = {**one_arm, 2: {"key": "A", "workflow_version": str(live.id)}}
    response = client.post("/experiments/new/", new_experiment(twice))
    assert response.status_code == 400
    assert "Arm keys must be unique." in response.content.decode()
    assert not Experiment.objects.exists()


def test_a_taken_slug_is_shown_next_to_the_slug(experiment, experiment_versions, operator):
    response = logged_in(operator).post(
        "/experiments/new/", new_experiment(two_arms(experiment_versions), slug=experiment.slug)
    )
    assert response.status_code == 400
    assert "already exists" in field_error(response.content.decode(), "slug")
    assert Experiment.objects.count() == 1


def test_a_row_error_from_the_service_lands_on_the_row_on_screen(experiment_versions):
    live, challenger = experiment_versions
    rows = {
        1: {"key": "A", "workflow_version": str(live.id)},
        3: {"key": "B", "workflow_version": str(challenger.id)},
    }
    data = new_experiment(rows)
    form, arms = ExperimentForm(data), ArmFormSet(data)
    assert form.is_valid()
    assert arms.is_valid()
    add_experiment_error(
        form, arms, ValidationError({"arms[1].engine_id": ["No."], "arms": ["Too few."]})
    )
    assert arms.forms[3].errors == {"engine_id": ["No."]}
    assert form.non_field_errors() == ["Too few."]


def test_rows_left_empty_are_skipped_and_the_control_is_the_ticked_row(
    experiment_versions, operator
):
    live, challenger = experiment_versions
    rows = {
        1: {"key": "old", "workflow_version": str(live.id), "weight": "3"},
        3: {"key": "new", "workflow_version": str(challenger.id), "engine_id": GEMMA},
    }
    response = logged_in(operator).post("/experiments/new/", new_experiment(rows, control="3"))
    experiment = Experiment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/experiments/{experiment.id}/"
    arms = {arm.key: (arm.weight, arm.engine_id, arm.is_control) for arm in experiment.arms.all()}
    assert arms == {"old": (3, "template", False), "new": (1, GEMMA, True)}


@pytest.fixture
def reviewed(experiment, coworker):
    review_with_winner(coworker)
    return experiment


def test_an_unknown_arm_to_promote_is_shown_next_to_the_arm_choice(reviewed, admin_user):
    response = logged_in(admin_user).post(f"/experiments/{reviewed.id}/promote/", {"arm": "Z"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Select a valid choice" in field_error(page, "arm")
    assert '<option value="B">B</option>' in page
    reviewed.refresh_from_db()
    assert reviewed.status == Experiment.Status.RUNNING


def test_an_arm_short_of_its_sample_is_refused_next_to_the_arm_choice(experiment, admin_user):
    response = logged_in(admin_user).post(f"/experiments/{experiment.id}/promote/", {"arm": "B"})
    assert response.status_code == 400
    error = field_error(response.content.decode(), "arm")
    assert "has 0 of the 4 observations needed" in error
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.RUNNING


def test_an_unticked_engine_flip_is_shown_next_to_the_confirm_box(reviewed, admin_user):
    client = logged_in(admin_user)
    url = f"/experiments/{reviewed.id}/promote/"
    response = client.post(url, {"arm": "B", "confirm": "yes"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "an admin must confirm the engine flip" in field_error(page, "confirm_engine")
    assert 'aria-invalid="true"' in page
    reviewed.refresh_from_db()
    assert reviewed.status == Experiment.Status.RUNNING

    response = client.post(url, {"arm": "B", "confirm": "yes", "confirm_engine": "on"})
    assert response.status_code == 302
    reviewed.refresh_from_db()
    assert (reviewed.status, reviewed.champion.key) == (Experiment.Status.FINISHED, "B")
    assert pipeline_settings().draft_engine == GEMMA


def test_a_rollback_that_flips_the_engine_wants_the_box_ticked(reviewed, admin_user):
    client = logged_in(admin_user)
    client.post(
        f"/experiments/{reviewed.id}/promote/",
        {"arm": "B", "confirm": "yes", "confirm_engine": "on"},
    )
    response = client.post(f"/experiments/{reviewed.id}/rollback/")
    assert response.status_code == 400
    assert "confirm the engine flip" in field_error(response.content.decode(), "confirm_engine")
    reviewed.refresh_from_db()
    assert reviewed.rolled_back_at is None

    response = client.post(f"/experiments/{reviewed.id}/rollback/", {"confirm_engine": "on"})
    assert response.status_code == 302
    reviewed.refresh_from_db()
    assert reviewed.rolled_back_at is not None
    assert pipeline_settings().draft_engine == "template"


def test_a_refused_status_change_is_shown_by_the_buttons(experiment, operator):
    response = logged_in(operator).post(f"/experiments/{experiment.id}/start/")
    page = response.content.decode()
    assert response.status_code == 400
    assert '<ul class="errorlist nonfield"><li>A running experiment cannot be' in page


def test_an_unknown_control_row_is_refused_and_none_makes_the_first_arm_control(
    experiment_versions, operator
):
    client = logged_in(operator)
    rows = two_arms(experiment_versions)
    response = client.post("/experiments/new/", new_experiment(rows, control="9"))
    assert response.status_code == 400
    assert "Select a valid choice" in field_error(response.content.decode(), "control")
    assert not Experiment.objects.exists()
    data = new_experiment(rows)
    del data["control"]
    assert client.post("/experiments/new/", data).status_code == 302
    assert Experiment.objects.get().arms.get(is_control=True).key == "A"
