"""Experiment panel pages: who may do what, form errors, results, CSV, promotion steps."""

import pytest

from builder.experiments import ArmSpec, experiment_create
from builder.models import Experiment
from tests.support.drafting import review_with_winner
from tests.support.panel import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(experiment, coworker):
    review_with_winner(coworker)
    return experiment


@pytest.mark.parametrize("url", ["/experiments/", "/experiments/new/"])
def test_a_user_without_a_role_gets_403(make_user, url):
    assert logged_in(make_user("nobody")).get(url).status_code == 403


def test_coworkers_see_results_but_cannot_create_or_promote(reviewed, coworker):
    client = logged_in(coworker)
    page = client.get(f"/experiments/{reviewed.id}/").content.decode()
    assert "B better" in page
    assert "Promote winner" not in page
    assert client.get("/experiments/new/").status_code == 403
    assert client.post(f"/experiments/{reviewed.id}/promote/", {"arm": "B"}).status_code == 403


def test_the_form_shows_field_errors_and_keeps_the_input(published_workflow, operator):
    published_workflow()
    response = logged_in(operator).post(
        "/experiments/new/",
        {
            "name": "Try",
            "slug": "try",
            "metric": "accepted_unedited",
            "min_sample": "10",
            "arm-TOTAL_FORMS": "4",
            "arm-INITIAL_FORMS": "0",
            "arm-0-key": "A",
            "arm-0-workflow_version": "",
            "arm-0-engine_id": "template",
            "arm-0-weight": "1",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert '<p class="field-error" id="id_arm-0-workflow_version_error">Pick a' in page
    assert 'value="Try"' in page
    assert not Experiment.objects.exists()


def test_start_refused_for_an_overlapping_scope_is_explained(experiment, operator):
    other = experiment_create(
        slug="other",
        name="Other",
        arms=list(
            ArmSpec(key=arm.key, workflow_version=arm.workflow_version, engine_id="template")
            for arm in experiment.arms.all()
        ),
    )
    client = logged_in(operator)
    response = client.post(f"/experiments/{other.id}/start/", follow=True)
    assert "overlaps the running experiment(s) welcome-ab" in response.content.decode()
    other.refresh_from_db()
    assert other.status == Experiment.Status.DRAFT


def test_the_csv_download_has_one_row_per_arm(reviewed, operator):
    response = logged_in(operator).get(f"/experiments/{reviewed.id}/results.csv")
    assert response["Content-Disposition"] == 'attachment; filename="welcome-ab-results.csv"'
    lines = response.content.decode().splitlines()
    assert len(lines) == 3
    assert "B better" in lines[2]


def test_an_operator_is_told_an_admin_must_flip_the_engine(reviewed, operator):
    client = logged_in(operator)
    confirm = client.post(f"/experiments/{reviewed.id}/promote/", {"arm": "B"})
    assert "only an admin can promote it" in confirm.content.decode()
    refused = client.post(
        f"/experiments/{reviewed.id}/promote/",
        {"arm": "B", "confirm": "yes", "confirm_engine": "yes"},
        follow=True,
    )
    assert "Only an admin can switch the active engine" in refused.content.decode()
    reviewed.refresh_from_db()
    assert reviewed.status == Experiment.Status.RUNNING


def test_an_admin_who_does_not_tick_the_engine_flip_promotes_nothing(reviewed, admin_user):
    response = logged_in(admin_user).post(
        f"/experiments/{reviewed.id}/promote/", {"arm": "B", "confirm": "yes"}, follow=True
    )
    assert "an admin must confirm the engine flip" in response.content.decode()
    reviewed.refresh_from_db()
    assert reviewed.status == Experiment.Status.RUNNING
