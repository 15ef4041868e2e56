import pytest
from rest_framework.test import APIClient

from engines.services import engine_build_register
from prospects.drafting.runner import live_draft_run
from prospects.models import Decision, Draft

pytestmark = pytest.mark.django_db

MESSAGE = {
    "external_id": "wa-1001",
    "thread": "anna.k",
    "sender": "Anna",
    "body": "Hi! Are you free this weekend?",
    "received_at": "2026-11-20T18:30:00Z",
}


@pytest.fixture
def ingest_client(client_account, api_for, canon):
    return api_for(client_account)


def test_ingest_answers_201_with_decision_and_queued_draft(ingest_client):
    response = ingest_client.post("/api/inbound/", MESSAGE, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True
    assert body["decision"]["move"] == "pursue"
    assert body["decision"]["engine_id"] == "template"
    assert (body["draft"]["status"], body["draft"]["hold_reason"]) == ("queued", "")

    drafted = live_draft_run(Draft.objects.get(id=body["draft"]["id"]))
    assert (drafted.status, drafted.hold_reason) == ("held", "review_mode")


def test_duplicate_external_id_answers_200_without_a_second_decision(ingest_client):
    first = ingest_client.post("/api/inbound/", MESSAGE, format="json")
    second = ingest_client.post("/api/inbound/", MESSAGE, format="json")
    assert second.status_code == 200
    assert second.json()["created"] is False
    assert second.json()["decision"]["id"] == first.json()["decision"]["id"]
    assert Decision.objects.count() == 1


def test_a_list_is_ingested_in_order(ingest_client):
    batch = [dict(MESSAGE, external_id=f"wa-{n}") for n in range(3)]
    response = ingest_client.post("/api/inbound/", batch, format="json")
    assert response.status_code == 201
    assert [item["message"]["external_id"] for item in response.json()] == ["wa-0", "wa-1", "wa-2"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({k: v for k, v in MESSAGE.items() if k != "body"}, "body"),
        ({k: v for k, v in MESSAGE.items() if k != "external_id"}, "external_id"),
        (dict(MESSAGE, body="x" * 4001), "body"),
        (dict(MESSAGE, body="   "), "body"),
        (dict(MESSAGE, body=["not", "text"]), "body"),
        (dict(MESSAGE, received_at="yesterday"), "received_at"),
        (dict(MESSAGE, received_at="2026-13-45T99:00:00Z"), "received_at"),
        (dict(MESSAGE, metadata="not-an-object"), "metadata"),
        (dict(MESSAGE, archetype="celebrity"), "archetype"),
        (dict(MESSAGE, thread="t" * 201), "thread"),
    ],
)
def test_bad_payloads_answer_400_with_field_errors(ingest_client, payload, field):
    response = ingest_client.post("/api/inbound/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Decision.objects.count() == 0


def test_a_bad_item_in_a_list_names_its_index_and_nothing_is_ingested(ingest_client):
    batch = [MESSAGE, dict(MESSAGE, external_id="wa-2", received_at="never")]
    response = ingest_client.post("/api/inbound/", batch, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["1"]
    assert response.json()["1"]["received_at"]
    assert Decision.objects.count() == 0


@pytest.mark.parametrize("payload", ["not json", "[]", "42"])
def test_malformed_bodies_answer_400(ingest_client, payload):
    response = ingest_client.post("/api/inbound/", payload, content_type="application/json")
    assert response.status_code == 400


def test_anonymous_requests_are_refused():
    assert APIClient().get("/api/drafts/").status_code == 401
    assert APIClient().post("/api/inbound/", MESSAGE, format="json").status_code == 401


def test_a_user_without_a_role_sees_nothing(make_user, api_for):
    assert api_for(make_user("nobody")).get("/api/drafts/").status_code == 403


def test_a_coworker_cannot_ingest(coworker, api_for, canon):
    assert api_for(coworker).post("/api/inbound/", MESSAGE, format="json").status_code == 403


def test_drafts_are_filtered_and_paginated(ingest_client, coworker, api_for):
    batch = [dict(MESSAGE, external_id=f"wa-{n}", thread=f"t-{n}") for n in range(5)]
    ingest_client.post("/api/inbound/", batch, format="json")
    Draft.objects.filter(thread__handle="t-0").update(status="rejected")
    api = api_for(coworker)
    page = api.get("/api/drafts/", {"status": "queued", "page_size": 2}).json()
    assert page["count"] == 4
    assert len(page["results"]) == 2
    assert page["next"]
    assert api.get("/api/drafts/", {"engine": "template"}).json()["count"] == 5
    assert api.get("/api/drafts/", {"since": "2999-01-01T00:00:00Z"}).json()["count"] == 0
    assert api.get("/api/drafts/", {"status": "bogus"}).status_code == 400
    assert api.get("/api/drafts/", {"since": "soon"}).status_code == 400


def test_draft_and_thread_detail(ingest_client, coworker, api_for):
    created = ingest_client.post("/api/inbound/", MESSAGE, format="json").json()
    api = api_for(coworker)
    draft = api.get(f"/api/drafts/{created['draft']['id']}/").json()
    assert (draft["status"], draft["body"]) == ("queued", "")
    thread = api.get(f"/api/threads/{created['thread']}/").json()
    assert thread["handle"] == "anna.k"
    assert [m["external_id"] for m in thread["messages"]] == ["wa-1001"]
    assert len(thread["decisions"]) == len(thread["drafts"]) == 1
    missing = "00000000-0000-0000-0000-000000000000"
    assert api.get(f"/api/threads/{missing}/").status_code == 404


def test_only_an_admin_flips_the_draft_engine(admin_user, coworker, operator, api_for):
    engine_build_register(engine_id="endpoint-gemma3-270m_2026-11-23.1")
    url = "/api/settings/draft-engine/"
    new = {"draft_engine": "endpoint-gemma3-270m_2026-11-23.1"}
    assert api_for(coworker).get(url).json() == {"draft_engine": "template"}
    assert api_for(coworker).put(url, new, format="json").status_code == 403
    assert api_for(operator).put(url, new, format="json").status_code == 403
    response = api_for(admin_user).put(url, new, format="json")
    assert response.status_code == 200
    assert api_for(coworker).get(url).json() == new


@pytest.mark.parametrize("engine_id", ["not an id", "do-gpu-unknown_2026-01-01.1", ""])
def test_a_bad_engine_id_answers_400_naming_the_field(admin_user, api_for, engine_id):
    response = api_for(admin_user).put(
        "/api/settings/draft-engine/", {"draft_engine": engine_id}, format="json"
    )
    assert response.status_code == 400
    assert "draft_engine" in response.json()


def test_openapi_schema_and_docs_are_served(coworker, api_for):
    api = api_for(coworker)
    assert api.get("/api/schema/").status_code == 200
    assert api.get("/api/docs/").status_code == 200


@pytest.mark.parametrize(
    ("since", "status"),
    [
        ("2125-12-27T08:59:03.8276-22:13", 200),  # an offset PostgreSQL refuses: sent as UTC
        ("9999-12-31T23:00:00-05:00", 400),  # past year 9999 in UTC
        ("yesterday", 400),
    ],
)
def test_since_takes_any_offset_and_refuses_what_is_out_of_range(ingest_client, since, status):
    response = ingest_client.get("/api/drafts/", {"since": since})
    assert response.status_code == status, response.content
