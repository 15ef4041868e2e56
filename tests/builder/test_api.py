import pytest

from builder.models import Workflow
from builder.services import snippets_load_file
from tests.support.factories import definition

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(operator, api_for, canon, gemma_build):
    snippets_load_file()
    return api_for(operator)


def create(api, slug="welcome", **overrides):
    return api.post(
        "/api/workflows/", {"slug": slug, "definition": definition(**overrides)}, format="json"
    )


def test_operator_creates_edits_publishes_and_diffs(ops):
    created = create(ops)
    assert created.status_code == 201, created.content
    workflow_id = created.json()["workflow"]
    base = f"/api/workflows/{workflow_id}"
    assert (
        ops.post(f"{base}/versions/1/publish/", {"note": "first"}, format="json").json()["status"]
        == "published"
    )
    v2 = ops.post(f"{base}/versions/", {"definition": definition(name="v2")}, format="json")
    assert v2.json()["number"] == 2
    ops.post(f"{base}/versions/2/publish/", {"note": "second"}, format="json")
    diff = ops.get(f"{base}/diff/", {"a": 1, "b": 2}).json()
    assert diff["sections"]["name"]["changed"] is True
    assert diff["sections"]["steps"]["changed"] is False
    assert diff["sections"]["appliesTo"]["label"] == "Applies to"
    assert "-Name: Welcome\n+Name: v2" in diff["sections"]["name"]["unified"]
    versions = ops.get(f"{base}/versions/").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert ops.get(f"{base}/").json()["live_version"]["number"] == 2
    rollback = ops.post(f"{base}/versions/1/rollback/", {"note": "back"}, format="json")
    assert rollback.json()["number"] == 3


def test_invalid_definitions_answer_400_with_sentences_keyed_by_path(ops):
    steps = [{"think": "a"}, {"think": "b"}, {"draft": "", "maxChars": -1}]
    response = create(ops, steps=steps)
    assert response.status_code == 400
    assert response.json()["definition"] == {
        "steps[2].draft": ["Step 3 (Draft) needs an instruction."],
        "steps[2].maxChars": [
            "The character limit of step 3 (Draft) must be a whole number between 20 and 4000."
        ],
    }
    assert Workflow.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Escape \x1b[31m", "Contains a control character (U+001B), which cannot be shown"),
        ("C1 \x9b here", "Contains a control character (U+009B), which cannot be shown"),
        ("Delete \x7f", "Contains a control character (U+007F), which cannot be shown"),
    ],
)
def test_notes_and_publish_notes_refuse_control_characters_like_nul(ops, text, problem):
    response = ops.post(
        "/api/workflows/",
        {"slug": "welcome", "definition": definition(), "notes": text},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["notes"][0].startswith(problem)
    assert Workflow.objects.count() == 0

    workflow_id = create(ops, slug="noted").json()["workflow"]
    base = f"/api/workflows/{workflow_id}/versions"
    published = ops.post(f"{base}/1/publish/", {"note": text}, format="json")
    assert published.status_code == 400
    assert published.json()["note"][0].startswith(problem)
    assert ops.post(f"{base}/1/publish/", {"note": "Fine"}, format="json").status_code == 200
    rollback = ops.post(f"{base}/1/rollback/", {"note": text}, format="json")
    assert rollback.status_code == 400
    assert set(rollback.json()) == {"note"}
    again = ops.post(f"{base}/", {"definition": definition(), "notes": text}, format="json")
    assert again.status_code == 400
    assert set(again.json()) == {"notes"}


def test_notes_keep_their_tabs_and_line_breaks(ops):
    notes = "Why:\r\n\tshorter"
    response = ops.post(
        "/api/workflows/",
        {"slug": "welcome", "definition": definition(), "notes": notes},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["notes"] == notes


def test_control_characters_in_a_definition_are_refused_on_their_field(ops):
    steps = [{"think": "Ring \x07"}, {"draft": "Write.", "maxChars": 300}]
    response = create(ops, name="Tab\tname", steps=steps)
    assert response.status_code == 400
    assert response.json()["definition"] == {
        "name": ["The name contains a tab: this is one line of plain text."],
        "steps[0].think": [
            "The instruction of step 1 (Think) contains a control character (U+0007), "
            "which cannot be shown: remove it."
        ],
    }


def test_duplicate_slug_answers_400(ops):
    create(ops)
    again = create(ops)
    assert again.status_code == 400
    assert set(again.json()) == {"slug"}
    assert Workflow.objects.count() == 1


def test_publishing_twice_answers_409(ops):
    workflow_id = create(ops).json()["workflow"]
    url = f"/api/workflows/{workflow_id}/versions/1/publish/"
    assert ops.post(url, {}, format="json").json() == {"note": ["This field is required."]}
    ops.post(url, {"note": "first"}, format="json")
    assert ops.post(url, {"note": "again"}, format="json").status_code == 409


def test_resolve_says_which_version_would_run(ops):
    workflow_id = create(ops).json()["workflow"]
    ops.post(f"/api/workflows/{workflow_id}/versions/1/publish/", {"note": "x"}, format="json")
    query = {"archetype": "referral", "state": "new", "template_key": "opener.welcome"}
    assert ops.get("/api/workflows/resolve/", query).json()["version"]["label"] == "welcome@1"
    query["template_key"] = "vendor.decline"
    assert ops.get("/api/workflows/resolve/", query).json()["version"] is None
    assert ops.get("/api/workflows/resolve/", {"state": "new"}).status_code == 400


def test_archiving_an_old_version_but_never_the_live_one(ops):
    workflow_id = create(ops).json()["workflow"]
    base = f"/api/workflows/{workflow_id}/versions"
    ops.post(f"{base}/1/publish/", {"note": "x"}, format="json")
    assert ops.post(f"{base}/1/archive/").status_code == 409
    ops.post(f"{base}/", {"definition": definition(name="v2")}, format="json")
    ops.post(f"{base}/2/publish/", {"note": "y"}, format="json")
    assert ops.post(f"{base}/1/archive/").json()["status"] == "archived"


def test_bad_diff_parameters_answer_400(ops):
    workflow_id = create(ops).json()["workflow"]
    assert ops.get(f"/api/workflows/{workflow_id}/diff/", {"a": "x"}).status_code == 400
    assert ops.get(f"/api/workflows/{workflow_id}/diff/", {"a": 1, "b": 9}).status_code == 404


def test_coworkers_read_but_cannot_write(coworker, api_for, ops):
    create(ops)
    api = api_for(coworker)
    assert api.get("/api/workflows/").json()["count"] == 1
    assert create(api, slug="other").status_code == 403
    assert api.post("/api/snippets/", {"kind": "voice", "key": "x", "text": "y"}).status_code == 403


def test_snippets_are_versioned_through_the_api(ops):
    created = ops.post(
        "/api/snippets/", {"kind": "voice", "key": "playful", "text": "Light."}, format="json"
    )
    snippet_id = created.json()["id"]
    ops.put(f"/api/snippets/{snippet_id}/", {"text": "Lighter."}, format="json")
    detail = ops.get(f"/api/snippets/{snippet_id}/").json()
    assert detail["snippet"]["version"] == 2
    assert [v["text"] for v in detail["versions"]] == ["Lighter.", "Light."]
    bad_kind = ops.post("/api/snippets/", {"kind": "mood", "key": "a", "text": ""}, format="json")
    assert set(bad_kind.json()) == {"kind"}
    bad_key = ops.post("/api/snippets/", {"kind": "voice", "key": "a b", "text": ""}, format="json")
    assert bad_key.status_code == 400
    assert set(bad_key.json()) == {"key"}
    bad_text = ops.put(f"/api/snippets/{snippet_id}/", {"text": "Bell\x07"}, format="json")
    assert bad_text.status_code == 400
    assert set(bad_text.json()) == {"text"}
    assert ops.get(f"/api/snippets/{snippet_id}/").json()["snippet"]["version"] == 2


def test_a_body_from_an_older_install_loses_its_engine_with_a_warning(ops):
    created = create(ops, engine="endpoint-old_1")
    assert created.status_code == 201, created.content
    body = created.json()
    assert "engine" not in body["definition"]
    assert [w.split(":")[0] for w in body["warnings"]] == ["engine"]
    again = ops.post(
        f"/api/workflows/{body['workflow']}/versions/",
        {"definition": definition(name="v2", engine="endpoint-old_1")},
        format="json",
    )
    assert again.status_code == 201
    assert again.json()["definition"]["name"] == "v2"
    assert [w.split(":")[0] for w in again.json()["warnings"]] == ["engine"]
    assert all("engine" not in v.definition for v in Workflow.objects.get().versions.all())
    assert create(ops, slug="plain").json()["warnings"] == []


def test_filtering_workflows_by_engine_answers_400(ops):
    response = ops.get("/api/workflows/", {"engine": "template"})
    assert response.status_code == 400
    assert "engine" in response.json()
