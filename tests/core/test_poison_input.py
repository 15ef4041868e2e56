"""Poison input is a 400 that names the field, and nothing of it reaches the database."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prospects.models import Correction, Draft, InboundMessage
from tests.support.drafting import ingest
from tests.support.factories import make_inbound

pytestmark = pytest.mark.django_db

GOOD = {
    "external_id": "poison-1",
    "thread": "poison-thread",
    "sender": "Anna",
    "body": "Hi, free tonight?",
    "received_at": "2026-12-05T10:00:00Z",
}


def nested(depth: int):
    value = "deep"
    for _ in range(depth):
        value = {"a": value}
    return value


def post_json(api, url: str, payload):
    # json.dumps escapes lone surrogates as \udxxx, as a hostile client would send them.
    return api.generic("POST", url, json.dumps(payload), content_type="application/json")


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"body": "Hi \ud800 there"}, "body", "unpaired surrogate"),
        ({"sender": "An\x00na"}, "sender", "NUL"),
        ({"thread": "t\udfff"}, "thread", "unpaired surrogate"),
        ({"metadata": {"source": {"name": "x\x00"}}}, "metadata.source.name", "NUL"),
        ({"metadata": {"k\ud83d": 1}}, "metadata.(key)", "unpaired surrogate"),
        ({"metadata": nested(25)}, "metadata" + ".a" * 20, "deeper than 20"),
        ({"body": 12345}, "body", "Must be a string, not int."),
        ({"sender": True}, "sender", "Must be a string, not bool."),
        ({"external_id": "x" * 201}, "external_id", "no more than 200"),
        ({"thread": "t" * 201}, "thread", "no more than 200"),
        ({"sender": "s" * 201}, "sender", "no more than 200"),
    ],
)
def test_poison_in_an_inbound_message_is_a_400_naming_the_field(
    api_for, client_account, change, field, problem
):
    response = post_json(api_for(client_account), "/api/inbound/", {**GOOD, **change})
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert problem in " ".join(response.json()[field])
    assert not InboundMessage.objects.exists()


def test_json_a_thousand_levels_deep_is_a_400(api_for, client_account):
    raw = '{"a":' * 1000 + "1" + "}" * 1000
    response = api_for(client_account).generic(
        "POST", "/api/inbound/", raw, content_type="application/json"
    )
    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


def test_a_batch_with_one_poison_message_stores_none_and_can_be_sent_again(api_for, client_account):
    api = api_for(client_account)
    batch = [{**GOOD, "external_id": f"poison-{n}", "body": f"Hi {n}"} for n in range(3)]
    poisoned = [*batch[:2], {**batch[2], "body": "bad \ud800"}]
    response = post_json(api, "/api/inbound/", poisoned)
    assert response.status_code == 400
    assert "2.body" in response.json()
    assert not InboundMessage.objects.exists()

    assert post_json(api, "/api/inbound/", batch).status_code == 201
    assert InboundMessage.objects.count() == 3


def test_poison_in_a_correction_is_a_400_and_the_draft_is_unchanged(api_for, coworker, canon):
    draft = ingest(make_inbound("Hi there")).draft
    api = api_for(coworker)
    for body, problem in (("ok \x00", "NUL"), ("ok \udc00", "surrogate"), (42, "not int")):
        response = post_json(api, f"/api/drafts/{draft.id}/correct/", {"body": body})
        assert response.status_code == 400, response.content
        assert problem in " ".join(response.json()["body"])
    assert Draft.objects.get(id=draft.id).status == draft.status
    assert not Correction.objects.exists()


# Any JSON value, surrogates and NUL included, up to a few levels deep.
TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=12,
)


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(fields=st.dictionaries(st.sampled_from([*GOOD, "metadata", "archetype"]), JSON))
def test_whatever_is_posted_never_answers_500_and_a_refusal_writes_nothing(
    api_for, client_account, fields
):
    before = InboundMessage.objects.count()
    response = post_json(api_for(client_account), "/api/inbound/", {**GOOD, **fields})
    assert response.status_code in (200, 201, 400), response.content
    if response.status_code == 400:
        assert InboundMessage.objects.count() == before
    else:
        stored = InboundMessage.objects.get(external_id=response.json()["message"]["external_id"])
        assert "\x00" not in stored.body


@pytest.mark.parametrize(
    ("method", "url", "payload", "field"),
    [
        ("post", "/api/jobs/", {"engine_id": 5}, "engine_id"),
        ("post", "/api/experiments/", {"slug": 12, "name": "x"}, "slug"),
        ("post", "/api/experiments/", {"slug": "ab", "name": False}, "name"),
        ("post", "/api/training-runs/", {"parent_engine_id": 7}, "parent_engine_id"),
        ("post", "/api/workflows/", {"slug": 123, "definition": {}}, "slug"),
        ("post", "/api/snippets/", {"key": 1, "text": "x"}, "key"),
        ("post", "/api/evaluations/", {"engine_id": 3}, "engine_id"),
        ("post", "/api/gpu/hold/", {"engine_id": 3.5}, "engine_id"),
        ("put", "/api/settings/draft-engine/", {"draft_engine": 3}, "draft_engine"),
        ("post", "/api/auth/token/", {"username": 1, "password": "x"}, "username"),
    ],
)
def test_a_number_where_a_string_belongs_is_a_400_on_every_write_endpoint(
    api_for, admin_user, method, url, payload, field
):
    response = getattr(api_for(admin_user), method)(url, payload, format="json")
    assert response.status_code == 400, response.content
    assert "Must be a string, not" in " ".join(response.json()[field]), response.json()


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    action=st.sampled_from(["approve", "correct", "reject"]),
    fields=st.dictionaries(st.sampled_from(["body", "override", "reason_tags", "note"]), JSON),
)
def test_whatever_a_reviewer_posts_never_answers_500_and_a_refusal_changes_nothing(
    api_for, coworker, canon, action, fields
):
    draft = ingest(make_inbound("Hi there, free tonight?")).draft
    corrections = Correction.objects.count()
    response = post_json(api_for(coworker), f"/api/drafts/{draft.id}/{action}/", fields)
    assert response.status_code in (200, 400, 409), response.content
    if response.status_code != 200:
        assert Draft.objects.get(id=draft.id).status == draft.status
        assert Correction.objects.count() == corrections


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/threads/?q=%00", "q"),
        ("/workflows/?template_key=a%00b", "template_key"),
        ("/decisions/?classifier=%00", "classifier"),
        ("/threads/?q%00=x", "q\x00"),
    ],
)
def test_a_nul_in_a_panel_query_string_is_a_400_naming_it(admin_user, url, name):
    from tests.support.panel import logged_in

    response = logged_in(admin_user).get(url)
    assert response.status_code == 400
    assert f"The query parameter '{name}' is refused: Contains a NUL" in response.content.decode()


def test_a_nul_in_an_api_query_string_is_a_400_naming_it(api_for, admin_user):
    response = api_for(admin_user).get("/api/workflows/", {"template_key": "x\x00"})
    assert (response.status_code, response.json()) == (
        400,
        {"template_key": ["Contains a NUL character."]},
    )


def test_a_put_of_anything_but_an_object_is_a_400(api_for, operator, experiment):
    for body in ([], ["slug"], "text", 12, None):
        response = api_for(operator).generic(
            "PUT",
            f"/api/experiments/{experiment.id}/",
            json.dumps(body),
            content_type="application/json",
        )
        assert response.status_code == 400, body
