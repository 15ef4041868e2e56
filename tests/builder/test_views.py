import re

import pytest
from django.test import Client

from builder.models import Workflow
from builder.services import snippets_load_file
from tests.conftest import ingest, make_inbound

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def operator_client(operator, canon, gemma_build):
    snippets_load_file()
    client = Client()
    client.force_login(operator)
    return client


def editor_post(**overrides) -> dict:
    data = {
        "slug": "welcome",
        "name": "Welcome",
        "priority": "0",
        "template_keys": ["opener.welcome"],
        "context_snippet": ["canon:opener.welcome", "voice:warm-brief"],
        "step_kind": ["think", "draft"],
        "step_text": ["What do they want?", "Write it."],
        "step_max_chars": ["", "300"],
        "then": "save",
    }
    data.update(overrides)
    return data


def test_step_operations_rerender_only_the_steps(operator_client):
    response = operator_client.post("/workflows/steps_hx/", editor_post(op="up:1"), **HTMX)
    html = response.content.decode()
    assert '<div id="steps">' in html
    assert "<html" not in html
    assert html.index("Write it.") < html.index("What do they want?")


def test_saving_an_invalid_workflow_shows_errors_inline(operator_client):
    response = operator_client.post(
        "/workflows/new/", editor_post(step_max_chars=["", "5"], name="")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "steps[1].maxChars" in html
    assert "name:" in html
    assert Workflow.objects.count() == 0


def test_saving_creates_a_draft_and_redirects_to_history(operator_client):
    response = operator_client.post("/workflows/new/", editor_post(), **HTMX)
    workflow = Workflow.objects.get(slug="welcome")
    assert response.headers["HX-Redirect"] == f"/workflows/{workflow.id}/"
    assert workflow.versions.get().status == "draft"


def test_publish_page_shows_the_diff_and_publishes_with_a_note(operator_client, operator):
    operator_client.post("/workflows/new/", editor_post())
    workflow = Workflow.objects.get(slug="welcome")
    operator_client.post(f"/workflows/{workflow.id}/versions/1/publish/", {"note": "first"})
    operator_client.post(f"/workflows/{workflow.id}/edit/", editor_post(name="Welcome v2"))
    page = operator_client.get(f"/workflows/{workflow.id}/versions/2/publish/").content.decode()
    # Only the name changed: its section's unified diff, and no other section's.
    assert re.findall(r"<h3>(\w+)</h3>", page) == ["name"]
    assert "-Welcome\n+Welcome v2" in page
    operator_client.post(f"/workflows/{workflow.id}/versions/2/publish/", {"note": "renamed"})
    workflow.refresh_from_db()
    assert (workflow.live_version.number, workflow.live_version.publish_note) == (2, "renamed")
    assert workflow.live_version.published_by == operator


def test_diff_page_renders_side_by_side(operator_client):
    operator_client.post("/workflows/new/", editor_post())
    workflow = Workflow.objects.get(slug="welcome")
    operator_client.post(f"/workflows/{workflow.id}/versions/1/publish/", {"note": "x"})
    operator_client.post(f"/workflows/{workflow.id}/edit/", editor_post(name="<b>v2</b>"))
    html = operator_client.get(f"/workflows/{workflow.id}/diff/", {"a": 1, "b": 2}).content.decode()
    assert 'class="diff"' in html
    assert "&lt;b&gt;v2&lt;/b&gt;" in html
    assert "<b>v2</b>" not in html


def test_coworkers_cannot_edit(coworker, canon):
    client = Client()
    client.force_login(coworker)
    assert client.get("/workflows/").status_code == 200
    assert client.get("/workflows/new/").status_code == 403
    assert client.post("/workflows/new/", editor_post()).status_code == 403


def test_workflow_list_filters(operator_client):
    operator_client.post("/workflows/new/", editor_post())
    assert "welcome" in operator_client.get("/workflows/", {"status": "draft"}).content.decode()
    html = operator_client.get("/workflows/", {"status": "published"}, **HTMX).content.decode()
    assert "No workflows match" in html


def test_preview_renders_each_steps_prompt_on_a_thread(operator_client, published_workflow):
    live = published_workflow()
    thread = ingest(make_inbound("Hi, saw your profile")).decision.thread
    url = f"/workflows/{live.workflow_id}/versions/{live.number}/preview/"
    html = operator_client.get(url, {"thread": str(thread.id)}).content.decode()
    assert "Step 1 · think" in html
    assert "Step 2 · draft" in html
    assert "&lt;output of step 1&gt;" in html
    assert "Hi, saw your profile" in html
    assert operator_client.get(url, {"thread": "nope"}).status_code == 404


def test_snippet_edit_adds_a_version(operator_client):
    from builder.models import Snippet

    snippet = Snippet.objects.get(kind="voice", key="warm-brief")
    operator_client.post(f"/snippets/{snippet.id}/", {"text": "New voice."})
    assert snippet.versions.count() == 2
    response = operator_client.post(
        "/snippets/new/", {"kind": "voice", "key": "bad key", "text": "x"}, follow=True
    )
    assert "key:" in response.content.decode()


@pytest.mark.parametrize("slug", ["", "Not a slug!"])
def test_a_bad_slug_is_a_field_error_not_a_crash(operator_client, slug):
    response = operator_client.post("/workflows/new/", editor_post(slug=slug))
    assert response.status_code == 200
    assert "slug:" in response.content.decode()


def test_a_duplicate_slug_is_a_field_error(operator_client):
    operator_client.post("/workflows/new/", editor_post())
    response = operator_client.post("/workflows/new/", editor_post())
    assert "slug:" in response.content.decode()
    assert Workflow.objects.count() == 1


def test_editing_keeps_pins_retrieval_and_every_inline_text(operator_client, operator):
    from builder.services import workflow_create

    kept = {
        "context": [
            {"snippet": "canon:opener.welcome", "version": 1},
            {"text": "First note."},
            {"text": "Second note."},
        ],
        "retrieval": True,
    }
    from tests.conftest import definition

    version = workflow_create(slug="kept", definition=definition(**kept))
    page = operator_client.get(f"/workflows/{version.workflow_id}/edit/").content.decode()
    assert 'name="pin" value="canon:opener.welcome@1"' in page
    assert "Second note." in page
    data = editor_post(
        pin=["canon:opener.welcome@1"],
        context_snippet=["canon:opener.welcome"],
        context_text=["First note.", "Second note.", ""],
        retrieval="1",
    )
    operator_client.post(f"/workflows/{version.workflow_id}/edit/", data)
    version.refresh_from_db()
    assert version.definition["context"] == kept["context"]
    assert version.definition["retrieval"] is True


def test_a_user_without_a_role_is_refused_every_panel_page(make_user, canon):
    client = Client()
    client.force_login(make_user("nobody"))
    for url in ["/", "/threads/", "/workflows/", "/snippets/", "/settings/"]:
        assert client.get(url).status_code == 403, url


def test_retrieval_is_on_unless_a_workflow_turns_it_off_as_a_baseline(canon, gemma_build):
    from django.http import QueryDict

    from builder.editor import definition_from_post
    from builder.services import workflow_create
    from builder.spec import workflow_spec
    from tests.conftest import definition

    silent = workflow_create(slug="silent", definition=definition())
    assert "retrieval" not in silent.definition
    assert workflow_spec(silent).retrieval is True
    baseline = workflow_create(slug="baseline", definition=definition(retrieval=False))
    assert workflow_spec(baseline).retrieval is False
    unticked = definition_from_post(QueryDict("name=x&step_kind=draft&step_text=Reply"))
    assert unticked["retrieval"] is False
