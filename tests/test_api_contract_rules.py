"""The rules that make the API keep its schema (issue 33), one by one, in-process; the
whole contract is checked against `make run` by tests/integration/test_api_contract.py."""

import re

import pytest
from django.core.management import call_command

from builder.models import Experiment
from core.roles import Role
from engines.ids import InvalidEngineId, engine_id_pattern, parse_engine_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(make_user, api_for):
    return api_for(make_user("contract-admin", Role.ADMIN))


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    import json

    path = tmp_path_factory.mktemp("schema") / "schema.json"
    call_command("spectacular", "--file", str(path), "--format", "openapi-json")
    return json.loads(path.read_text())


def test_a_misspelt_body_field_is_refused_by_name_not_ignored(admin_api):
    answer = admin_api.put(
        "/api/settings/draft-engine/", {"draft_enigne": "template"}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["draft_enigne"] == ["Unknown field; the fields are: draft_engine."]


def test_a_state_that_forbids_the_request_answers_409_with_its_field(admin_api, experiment):
    Experiment.objects.filter(id=experiment.id).update(status=Experiment.Status.FINISHED)
    answer = admin_api.post(f"/api/experiments/{experiment.id}/start/")
    assert answer.status_code == 409
    assert answer.json() == {"status": ["A finished experiment cannot be started."]}


@pytest.mark.parametrize("sent", [0, 1, "true"])
def test_a_boolean_is_json_true_or_false(admin_api, sent):
    answer = admin_api.post(
        "/api/webhooks/",
        {"url": "https://crm.example.com/hook", "events": ["draft.ready"], "active": sent},
        format="json",
    )
    assert answer.status_code == 400
    assert "active" in answer.json()


def test_an_empty_optional_query_parameter_is_the_same_as_none(admin_api):
    for query in ("page_size=", "since=", "status=", "engine="):
        answer = admin_api.get(f"/api/drafts/?{query}")
        assert answer.status_code == 200, (query, answer.content)
    assert admin_api.get("/api/drafts/?page_size=0").status_code == 400


def test_labelled_refuses_what_is_not_true_or_false(admin_api):
    assert admin_api.get("/api/decisions/to-label/?labelled=true").status_code == 200
    answer = admin_api.get("/api/decisions/to-label/?labelled=-5")
    assert answer.status_code == 400
    assert answer.json() == {"labelled": ["Use true or false."]}


@pytest.mark.parametrize("method", ["get", "post", "put"])
def test_a_path_under_api_that_names_nothing_answers_json_404(admin_api, method, settings):
    settings.DEBUG = True  # Django's debug page would answer HTML here
    answer = getattr(admin_api, method)("/api/no-such-thing/")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not found."}


def test_a_method_the_report_endpoint_does_not_answer_is_405_before_its_token(client):
    answer = client.generic(
        "TRACE", "/api/training-runs/00000000-0000-0000-0000-000000000000/report/"
    )
    assert answer.status_code == 405


@pytest.mark.parametrize(
    "engine_id",
    [
        "template",
        "endpoint-gemma3-270m_2026-11-23.1",
        "do-gpu-mistral-nemo-12b-uncensored_2026-06-29.1",
        "local-moves-linear_2026-12-07.1",
        "local-gemma_1",
        "endpoint-Gemma_1",
        "do-gpu-x_",
        "rules",
        "0",
        "",
    ],
)
def test_the_engine_id_pattern_takes_exactly_what_the_parser_takes(engine_id):
    try:
        parse_engine_id(engine_id)
        parsed = True
    except InvalidEngineId:
        parsed = False
    assert bool(re.fullmatch(engine_id_pattern(), engine_id)) == parsed


def test_the_schema_says_what_each_input_rule_is(schema):
    components = schema["components"]["schemas"]
    assert components["DraftEngineRequest"]["additionalProperties"] is False
    assert components["DraftEngineRequest"]["properties"]["draft_engine"]["pattern"] == (
        engine_id_pattern()
    )
    classifier = components["ClassifierEngineRequest"]["properties"]["classifier_engine"]
    assert re.fullmatch(classifier["pattern"], "rules")
    arms = components["ExperimentWriteRequest"]["properties"]["arms"]
    assert arms["minItems"] == 2
    drafts = {p["name"]: p for p in schema["paths"]["/api/drafts/"]["get"]["parameters"]}
    assert drafts["since"]["allowEmptyValue"] is True
    assert drafts["engine"]["schema"]["pattern"] == r"^[^\u0000]*$"
    version = components["Version"]["properties"]
    assert version["author"]["nullable"] is True


def test_too_few_arms_is_a_message_on_the_field(admin_api, experiment_versions):
    live, _ = experiment_versions
    answer = admin_api.post(
        "/api/experiments/",
        {
            "slug": "one-arm",
            "name": "One arm",
            "arms": [{"key": "A", "workflow_version": str(live.id), "engine_id": "template"}],
        },
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {"arms": ["An experiment needs at least two arms."]}
