"""The experiments REST API: CRUD with field errors, start/pause, results, promotion."""

import pytest

from builder.models import Experiment
from prospects.selectors import pipeline_settings
from tests.support.drafting import review_with_winner
from tests.support.factories import GEMMA

pytestmark = pytest.mark.django_db


def payload(versions, **overrides) -> dict:
    live, challenger = versions
    values = {
        "slug": "welcome-ab",
        "name": "Terse welcome",
        "scope": {"template_keys": ["opener.welcome"]},
        "min_sample": 4,
        "arms": [
            {"key": "A", "workflow_version": str(live.id), "engine_id": "template"},
            {"key": "B", "workflow_version": str(challenger.id), "engine_id": GEMMA},
        ],
    }
    values.update(overrides)
    return values


def test_create_read_update_and_delete(api_for, operator, experiment_versions):
    api = api_for(operator)
    created = api.post("/api/experiments/", payload(experiment_versions), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft"
    assert body["metric"] == "accepted_unedited"
    assert [(arm["key"], arm["is_control"], arm["weight"]) for arm in body["arms"]] == [
        ("A", True, 1),
        ("B", False, 1),
    ]
    url = f"/api/experiments/{body['id']}/"
    assert api.get("/api/experiments/").json()["results"][0]["slug"] == "welcome-ab"
    changed = payload(experiment_versions, name="Renamed", metric="edit_distance")
    changed["arms"][1]["weight"] = 3
    updated = api.put(url, changed, format="json").json()
    assert (updated["name"], updated["metric"], updated["arms"][1]["weight"]) == (
        "Renamed",
        "edit_distance",
        3,
    )
    assert api.delete(url).status_code == 204
    assert not Experiment.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p["arms"].pop(), "arms"),
        (lambda p: p["arms"][1].update(weight=0), "arms[1].weight"),
        (lambda p: p["arms"][1].update(weight=-2), "arms[1].weight"),
        (
            lambda p: p["arms"][0].update(workflow_version="00000000-0000-0000-0000-000000000000"),
            "arms[0].workflow_version",
        ),
        (lambda p: p["arms"][1].update(engine_id="vllm-"), "arms[1].engine_id"),
        (lambda p: p.update(metric="vibes"), "metric"),
        (lambda p: p["scope"].update(states=["dreaming"]), "states"),
        (lambda p: p.update(slug="no spaces"), "slug"),
    ],
)
def test_invalid_experiments_answer_400_with_the_field(
    api_for, operator, experiment_versions, change, field
):
    body = payload(experiment_versions)
    change(body)
    response = api_for(operator).post("/api/experiments/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Experiment.objects.exists()


def test_start_pause_and_overlap(api_for, operator, experiment_versions):
    api = api_for(operator)
    first = api.post("/api/experiments/", payload(experiment_versions), format="json").json()
    second = api.post(
        "/api/experiments/", payload(experiment_versions, slug="again"), format="json"
    ).json()
    started = api.post(f"/api/experiments/{first['id']}/start/")
    assert started.json()["status"] == "running"
    refused = api.post(f"/api/experiments/{second['id']}/start/")
    assert refused.status_code == 409
    assert "welcome-ab" in refused.json()["scope"][0]
    assert api.put(
        f"/api/experiments/{first['id']}/", payload(experiment_versions), format="json"
    ).json()["status"] == ["A running experiment cannot be edited."]
    assert api.post(f"/api/experiments/{first['id']}/pause/").json()["status"] == "paused"
    assert api.post(f"/api/experiments/{second['id']}/start/").json()["status"] == "running"


def test_coworkers_read_but_do_not_write(api_for, coworker, experiment_versions):
    api = api_for(coworker)
    assert api.get("/api/experiments/").status_code == 200
    assert (
        api.post("/api/experiments/", payload(experiment_versions), format="json").status_code
        == 403
    )


def test_results_promotion_and_rollback(
    api_for, operator, admin_user, coworker, experiment_versions
):
    operator_api, admin_api = api_for(operator), api_for(admin_user)
    experiment = operator_api.post(
        "/api/experiments/", payload(experiment_versions), format="json"
    ).json()
    base = f"/api/experiments/{experiment['id']}"
    operator_api.post(f"{base}/start/")
    review_with_winner(coworker)

    results = operator_api.get(f"{base}/results/").json()
    assert results["winner"] == "B"
    control, challenger = results["arms"]
    for arm in (control, challenger):
        assert {"n", "successes", "rate", "ci_low", "ci_high"} <= set(arm)
    assert control["successes"] == 0
    assert challenger["rate"] == 1.0
    assert challenger["comparison"]["verdict"] == "B better"
    assert challenger["comparison"]["p_value"] < 0.05
    assert 0.99 < challenger["comparison"]["prob_beats_control"] <= 1
    csv_response = operator_api.get(f"{base}/results.csv")
    assert csv_response["Content-Type"] == "text/csv"
    assert b"welcome-ab,accepted_unedited,B" in csv_response.content

    assert operator_api.post(f"{base}/promote/", {}, format="json").status_code == 403
    unconfirmed = admin_api.post(f"{base}/promote/", {}, format="json")
    assert unconfirmed.status_code == 400
    assert "confirm" in unconfirmed.json()["confirm_engine"][0]
    promoted = admin_api.post(f"{base}/promote/", {"confirm_engine": True}, format="json")
    assert promoted.json()["status"] == "finished"
    assert promoted.json()["champion"] == "B"
    assert pipeline_settings().draft_engine == GEMMA

    rolled_back = admin_api.post(f"{base}/rollback/", {"confirm_engine": True}, format="json")
    assert rolled_back.json()["rolled_back_at"] is not None
    assert pipeline_settings().draft_engine == "template"
    assert admin_api.post(f"{base}/rollback/", {}, format="json").status_code == 409
