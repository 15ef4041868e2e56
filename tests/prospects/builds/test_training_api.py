"""POST /api/training-runs/: the train split of reviewed work, trained and registered."""

import json

import pytest

from engines.classifier import parse_move_answer
from engines.models import EngineBuild
from engines.models.training import TrainingRun
from engines.services import engine_build_register
from prospects.review.services import draft_approve, draft_correct
from tests.support.drafting import ingest
from tests.support.factories import make_inbound

pytestmark = pytest.mark.django_db

# Long enough for the pipeline's prompts (the tiny tokenizer reads unknown words one a token).
FAST = {"max_steps": 3, "batch_size": 2, "max_length": 512}


@pytest.fixture
def tiny_build(tiny_base, settings, tmp_path):
    settings.TRAINING_OUTPUT_DIR = str(tmp_path)
    return engine_build_register(
        engine_id="endpoint-tiny_1", endpoint_url="http://127.0.0.1:9/v1", model_path=str(tiny_base)
    )


@pytest.fixture
def reviewed_template_drafts(canon, coworker, settings):
    settings.TUNING_EVAL_PERCENT = 0  # every thread in the train split
    drafts = [ingest(make_inbound(f"Hi there {n}")).draft for n in range(3)]
    draft_approve(draft_id=drafts[0].id, user=coworker)
    draft_correct(draft_id=drafts[1].id, user=coworker, body="Hi! Lovely to hear from you.")
    return drafts


def test_an_admin_starts_a_run_that_trains_and_registers_a_build(
    api_for, admin_user, tiny_build, reviewed_template_drafts, django_capture_on_commit_callbacks
):
    api = api_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/training-runs/",
            {
                "source_engine_ids": ["template"],
                "parent_engine_id": tiny_build.engine_id,
                "new_engine_id": "endpoint-tiny_1-voice-api",
                "hyper_parameters": FAST,
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    assert response.json()["data_lines"] == 2
    assert response.json()["status"] == "queued"  # as written, before the worker ran it
    run = api.get(f"/api/training-runs/{response.json()['id']}/").json()
    assert run["status"] == "succeeded", run["status_detail"]
    assert run["build"] == "endpoint-tiny_1-voice-api"
    assert '"registered"' in run["log"]
    assert "Lovely to hear from you" in TrainingRun.objects.get(id=run["id"]).snapshot
    assert EngineBuild.objects.filter(engine_id="endpoint-tiny_1-voice-api").exists()
    listed = api.get("/api/training-runs/").json()
    assert [row["id"] for row in listed["results"]] == [run["id"]]
    assert "log" not in listed["results"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "source_engine_ids"),
        ({"source_engine_ids": []}, "source_engine_ids"),
        ({"source_engine_ids": ["template"], "parent_engine_id": "template"}, "parent_engine_id"),
        ({"source_engine_ids": ["endpoint-tiny_1"]}, "source_engine_ids"),  # nothing reviewed
        ({"source_engine_ids": ["template"], "head": "oracle"}, "head"),
        (
            {"source_engine_ids": ["template"], "hyper_parameters": {"r": -1}},
            "hyper_parameters.r",
        ),
    ],
)
def test_bad_requests_get_field_errors(
    api_for, admin_user, tiny_build, reviewed_template_drafts, body, field
):
    body = {"parent_engine_id": tiny_build.engine_id, **body}
    response = api_for(admin_user).post("/api/training-runs/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not TrainingRun.objects.exists()


def test_only_admins_start_runs_and_coworkers_do_not_read_them(
    api_for, operator, coworker, tiny_build
):
    body = {"source_engine_ids": ["template"], "parent_engine_id": tiny_build.engine_id}
    assert api_for(operator).post("/api/training-runs/", body, format="json").status_code == 403
    assert api_for(operator).get("/api/training-runs/").status_code == 200
    assert api_for(coworker).get("/api/training-runs/").status_code == 403


def test_a_classifier_head_trains_on_the_move_contract(
    api_for, admin_user, tiny_build, reviewed_template_drafts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(admin_user).post(
            "/api/training-runs/",
            {
                "source_engine_ids": ["template"],
                "parent_engine_id": tiny_build.engine_id,
                "head": "classifier",
                "hyper_parameters": FAST,
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    run = TrainingRun.objects.get(id=response.json()["id"])
    assert run.status == TrainingRun.Status.SUCCEEDED, run.status_detail
    assert (run.hyper_parameters["alpha"], run.hyper_parameters["dropout"]) == (32, 0.05)
    first = json.loads(run.snapshot.split("\n")[0])
    assert [turn["role"] for turn in first["messages"]] == ["system", "user", "assistant"]
    assert "Hi there" in first["messages"][1]["content"]
    answer = json.loads(first["messages"][2]["content"])
    assert parse_move_answer(first["messages"][2]["content"]).move == answer["move"]
    assert run.build.adapter.startswith("classifier-")
