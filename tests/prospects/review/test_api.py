"""REST review actions, corrections and the tuning export."""

import json

import pytest

from prospects.models import Correction, Draft
from tests.support.drafting import ingest
from tests.support.factories import make_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(canon):
    return lambda body="Hi there": ingest(make_inbound(body)).draft


@pytest.fixture
def reviewer(api_for, coworker):
    return api_for(coworker)


def test_approve_answers_the_draft(held, reviewer):
    draft = held()
    response = reviewer.post(f"/api/drafts/{draft.id}/approve/")
    assert response.status_code == 200
    assert response.json()["status"] in {"approved", "held"}  # held again: no bridge here
    assert response.json()["reviewed_at"]


def test_correct_records_the_correction(held, reviewer):
    draft = held()
    response = reviewer.post(
        f"/api/drafts/{draft.id}/correct/",
        {"body": "Hello! Lovely to meet you.", "reason_tags": ["tone"]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["body"] == "Hello! Lovely to meet you."
    correction = Correction.objects.get(draft=draft)
    assert correction.reason_tags == ["tone"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({}, "body"),
        ({"body": "ok", "reason_tags": ["vibes"]}, "reason_tags"),
        ({"body": "ok", "reason_tags": "tone"}, "reason_tags"),
    ],
)
def test_bad_corrections_answer_400_with_the_field(held, reviewer, payload, field):
    draft = held()
    response = reviewer.post(f"/api/drafts/{draft.id}/correct/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Draft.objects.get(id=draft.id).status == Draft.Status.HELD


def test_reject_then_any_action_answers_409_with_the_current_state(held, reviewer):
    draft = held()
    response = reviewer.post(
        f"/api/drafts/{draft.id}/reject/", {"reason_tags": ["off_topic"]}, format="json"
    )
    assert response.status_code == 200
    for action, payload in [("approve", {}), ("correct", {"body": "x"}), ("reject", {})]:
        conflict = reviewer.post(f"/api/drafts/{draft.id}/{action}/", payload, format="json")
        assert conflict.status_code == 409
        assert conflict.json()["draft"]["status"] == "rejected"
        assert "already rejected" in conflict.json()["detail"]


def test_a_draft_open_with_another_coworker_answers_409(held, reviewer, make_user, api_for):
    from core.roles import Role
    from prospects.review.services import review_claim

    draft = held()
    other = make_user("olga", Role.COWORKER)
    review_claim(draft_id=draft.id, user=other)
    response = reviewer.post(f"/api/drafts/{draft.id}/approve/")
    assert response.status_code == 409
    assert "olga is reviewing this draft" in response.json()["detail"]


@pytest.mark.parametrize("who", ["operator", "client_account"])
def test_only_reviewers_may_act(held, api_for, request, who):
    draft = held()
    response = api_for(request.getfixturevalue(who)).post(f"/api/drafts/{draft.id}/approve/")
    assert response.status_code == 403


def test_an_unknown_draft_answers_404(reviewer):
    response = reviewer.post("/api/drafts/00000000-0000-0000-0000-000000000000/approve/")
    assert response.status_code == 404


def test_corrections_list_filters_by_engine_version_and_since(held, reviewer):
    first, second = held(), held()
    reviewer.post(f"/api/drafts/{first.id}/correct/", {"body": "One"}, format="json")
    reviewer.post(f"/api/drafts/{second.id}/reject/", {"reason_tags": ["tone"]}, format="json")

    everything = reviewer.get("/api/corrections/").json()
    assert everything["count"] == 2
    row = next(r for r in everything["results"] if r["kind"] == "edited")
    assert (row["draft"], row["engine_id"], row["corrected_text"]) == (
        str(first.id),
        "template",
        "One",
    )
    assert reviewer.get("/api/corrections/", {"engine": "vllm-x_1"}).json()["count"] == 0
    assert reviewer.get("/api/corrections/", {"since": "2999-01-01T00:00:00Z"}).json()["count"] == 0
    bad = reviewer.get("/api/corrections/", {"workflow_version": "nope"})
    assert bad.status_code == 400
    assert "workflow_version" in bad.json()
    detail = reviewer.get(f"/api/corrections/{row['id']}/")
    assert detail.json()["original_text"] == first.body


def test_the_tuning_export_streams_jsonl(held, reviewer):
    draft = held()
    reviewer.post(f"/api/drafts/{draft.id}/correct/", {"body": "Better"}, format="json")
    response = reviewer.get("/api/exports/tuning/", {"engine": "template", "format": "dpo"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert "template-dpo.jsonl" in response["Content-Disposition"]
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert [line["chosen"][0]["content"] for line in lines] == ["Better"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"format": "sft"}, "engine"),
        ({"engine": "template", "format": "csv"}, "format"),
        ({"engine": "no such id!", "format": "sft"}, "engine"),
        ({"engine": "template", "format": "sft", "since": "soon"}, "since"),
        ({"engine": "template", "format": "sft", "split": "half"}, "split"),
    ],
)
def test_bad_export_queries_answer_400(reviewer, query, field):
    response = reviewer.get("/api/exports/tuning/", query)
    assert response.status_code == 400
    assert field in response.json()


def test_rest_clients_cannot_read_corrections(api_for, client_account):
    assert api_for(client_account).get("/api/corrections/").status_code == 403
