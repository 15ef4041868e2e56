import re
from html import escape as html_escape

import pytest
from django.test import Client

from builder.models import Snippet, SnippetVersion, Workflow
from builder.services import snippets_load_file
from prospects.vocabulary import raw_codes
from tests.support.drafting import ingest
from tests.support.factories import make_inbound

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def operator_client(operator, canon, gemma_build):
    snippets_load_file()
    client = Client()
    client.force_login(operator)
    return client


def steps_post(*steps: tuple[str, str, str]) -> dict:
    """The step formset as the editor posts it: (kind, text, max chars) per step."""
    data = {"step-TOTAL_FORMS": str(len(steps)), "step-INITIAL_FORMS": "0"}
    for index, (kind, text, max_chars) in enumerate(steps):
        data |= {
            f"step-{index}-kind": kind,
            f"step-{index}-text": text,
            f"step-{index}-max_chars": max_chars,
        }
    return data


STEPS = (("think", "What do they want?", ""), ("draft", "Write it.", "300"))


def editor_post(*, steps=STEPS, **overrides) -> dict:
    data = {
        "slug": "welcome",
        "name": "Welcome",
        "priority": "0",
        "template_keys": ["opener.welcome"],
        "context_snippet": ["canon:opener.welcome", "voice:warm-brief"],
        **steps_post(*steps),
        "then": "save",
    }
    data.update(overrides)
    return data


def error_after(html: str, field_id: str) -> str:
    """The error element a field's aria-describedby names, checking that it follows the
    field with nothing but its label's end and its help between them."""
    field = re.search(rf'<(input|textarea|select)[^>]*id="{field_id}"[^>]*>', html)
    assert field, f"no field {field_id}"
    assert 'aria-invalid="true"' in field[0]
    described_by = re.search(r'aria-describedby="([^"]*)"', field[0])
    assert described_by, field[0]
    assert f"{field_id}_error" in described_by[1].split()
    rest = html[field.end() :]
    label_end = r"(?:[^<]*</textarea>)?\s*(?:</label>)?\s*"
    help_text = rf'(?:<span class="muted helptext" id="{field_id}_helptext">[^<]*</span>\s*)?'
    error = re.match(
        rf'{label_end}{help_text}<p class="field-error" id="{field_id}_error">([^<]*)</p>', rest
    )
    assert error, rest[:300]
    return error[1]


def focused(html: str) -> list[str]:
    """The opening tags that ask for the focus when the page loads."""
    return re.findall(r"<[^>]*\bautofocus\b[^>]*>", html)


def test_step_operations_rerender_only_the_steps(operator_client):
    response = operator_client.post("/workflows/steps_hx/", editor_post(op="up:1"), **HTMX)
    html = response.content.decode()
    assert '<div id="steps">' in html
    assert "<html" not in html
    assert html.index("Write it.") < html.index("What do they want?")


def test_step_operations_work_on_the_posted_steps(operator_client):
    def texts(op: str) -> list[str]:
        html = operator_client.post("/workflows/steps_hx/", editor_post(op=op), **HTMX)
        return re.findall(r"<textarea[^>]*>\n?([^<]*)</textarea>", html.content.decode())

    assert texts("down:0") == ["Write it.", "What do they want?"]
    assert texts("delete:0") == ["Write it."]
    assert texts("add_think") == ["What do they want?", "", "Write it."]
    assert texts("add_draft") == ["What do they want?", "Write it.", ""]
    for ignored in ("up:9", "up:x", "sideways:1", "delete:-1"):
        assert texts(ignored) == ["What do they want?", "Write it."], ignored


def test_a_step_operation_without_js_keeps_what_was_typed_and_judges_nothing(operator_client):
    response = operator_client.post(
        "/workflows/new/", editor_post(slug="", priority="soon", op="add_think")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="soon"' in html
    assert "field-error" not in html
    assert 'name="step-TOTAL_FORMS" value="3"' in html
    assert Workflow.objects.count() == 0


def test_saving_an_invalid_workflow_shows_errors_next_to_their_fields(operator_client):
    response = operator_client.post(
        "/workflows/new/",
        editor_post(steps=(("think", "Why?", ""), ("draft", "", "300")), name=""),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "The workflow was not saved" in html
    assert error_after(html, "id_name") == "The workflow needs a name."
    assert Workflow.objects.count() == 0
    # With the fields right, the schema's own error lands on the step it names, in words.
    html = operator_client.post(
        "/workflows/new/", editor_post(steps=(("think", "Why?", ""), ("draft", "", "300")))
    ).content.decode()
    assert error_after(html, "id_step-1-text") == "Step 2 (Draft) needs an instruction."
    assert "steps[1]" not in html
    assert 'value="Why?"' in html or ">\nWhy?</textarea>" in html
    assert Workflow.objects.count() == 0


def test_after_a_refused_save_the_first_error_in_page_order_has_the_focus(operator_client):
    def autofocus(**changes) -> list[str]:
        response = operator_client.post("/workflows/new/", editor_post(**changes))
        assert response.status_code == 400
        return focused(response.content.decode())

    empty_draft = (("think", "Why?", ""), ("draft", "", "300"))
    # The priority comes before the steps: it has the focus, and nothing else does.
    [tag] = autofocus(priority="soon", steps=empty_draft)
    assert 'id="id_priority"' in tag
    [tag] = autofocus(steps=empty_draft)
    assert 'id="id_step-1-text"' in tag
    [tag] = autofocus(steps=(("think", "Why?", ""),))
    assert tag.startswith('<p class="field-error"')
    [tag] = autofocus(steps=(("draft", "Write it.", "300"), ("think", "Then think.", "")))
    assert 'id="id_step-0-text"' in tag
    [tag] = autofocus(archetypes=["astronaut"], steps=empty_draft)
    assert tag.startswith("<fieldset")
    [tag] = autofocus(context_text=["Fine.", "x" * 4001, ""])
    assert tag.startswith("<textarea")
    [tag] = autofocus(notes="Bell \x07")
    assert 'id="id_notes"' in tag
    page = operator_client.get("/workflows/new/").content.decode()
    assert focused(page) == []


@pytest.mark.parametrize("priority", ["soon", "1.5", "5000", "-1001", ""])
def test_a_bad_priority_is_a_sentence_next_to_it(operator_client, priority):
    response = operator_client.post("/workflows/new/", editor_post(priority=priority))
    html = response.content.decode()
    assert response.status_code == 400
    assert error_after(html, "id_priority") == (
        "The priority must be a whole number between -1000 and 1000."
    )
    assert f'value="{priority}"' in html or not priority
    assert Workflow.objects.count() == 0


@pytest.mark.parametrize(
    ("max_chars", "error"),
    [
        ("lots", "The character limit must be a whole number between 20 and 4000."),
        ("5", "The character limit must be a whole number between 20 and 4000."),
        ("", "Step 2 (Draft) needs a character limit."),
    ],
)
def test_a_bad_max_chars_is_an_error_next_to_it(operator_client, max_chars, error):
    steps = (("think", "What do they want?", ""), ("draft", "Write it.", max_chars))
    response = operator_client.post("/workflows/new/", editor_post(steps=steps))
    html = response.content.decode()
    assert response.status_code == 400
    assert error_after(html, "id_step-1-max_chars") == error
    assert Workflow.objects.count() == 0


def test_context_errors_land_on_the_snippets_or_the_inline_texts(operator_client):
    def error(html: str, field_id: str) -> str:
        return re.search(rf'<p class="field-error" id="{field_id}_error">([^<]*)', html)[1]

    data = editor_post(pin=["canon:opener.welcome@9"])
    html = operator_client.post("/workflows/new/", data).content.decode()
    assert (
        error(html, "id_context_snippet") == "There is no snippet canon:opener.welcome version 9."
    )
    data = editor_post(context_text=["Fine.", "x" * 4001, ""])
    html = operator_client.post("/workflows/new/", data).content.decode()
    assert error(html, "id_context_text") == (
        "A note can hold at most 4000 characters; one has 4001."
    )
    assert re.search(r'aria-describedby="id_context_text_error"[^>]*>Fine.</textarea>', html)
    assert Workflow.objects.count() == 0


def test_a_draft_step_before_a_think_step_is_marked_on_that_step(operator_client):
    steps = (("draft", "Write it.", "300"), ("think", "Then think.", ""))
    html = operator_client.post("/workflows/new/", editor_post(steps=steps)).content.decode()
    first_step = html[html.index('<li class="step step-draft">') : html.index("id_step-1-kind")]
    assert "Step 1 (Draft) must be the last step: think steps come before it." in first_step


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Tab\tin a name"),
        ("name", "Line\nbreak"),
        ("notes", "Bell \x07 here"),
        ("notes", "C1 \x85 here"),
        ("notes", "Delete \x7f here"),
    ],
)
def test_control_characters_are_refused_next_to_their_field(operator_client, field, value):
    response = operator_client.post("/workflows/new/", editor_post(**{field: value}))
    assert response.status_code == 400
    assert error_after(response.content.decode(), f"id_{field}").startswith("Contains ")
    assert Workflow.objects.count() == 0


def test_notes_and_steps_keep_their_line_breaks_and_tabs(operator_client):
    steps = (("think", "First,\r\n\tthen", ""), ("draft", "Write it.", "300"))
    data = editor_post(steps=steps, notes="Why:\r\n\tshorter")
    assert operator_client.post("/workflows/new/", data).status_code == 302
    version = Workflow.objects.get().versions.get()
    assert version.notes == "Why:\r\n\tshorter"
    assert version.definition["steps"][0] == {"think": "First,\r\n\tthen"}


def test_saving_creates_a_draft_and_redirects_to_history(operator_client):
    response = operator_client.post("/workflows/new/", editor_post(), **HTMX)
    workflow = Workflow.objects.get(slug="welcome")
    assert response.headers["HX-Redirect"] == f"/workflows/{workflow.id}/"
    assert workflow.versions.get().status == "draft"


def two_versions(client, **second) -> Workflow:
    """A workflow whose v1 is live and whose v2 is a draft made of ``second``'s fields."""
    client.post("/workflows/new/", editor_post())
    workflow = Workflow.objects.get(slug="welcome")
    client.post(f"/workflows/{workflow.id}/versions/1/publish/", {"note": "first"})
    client.post(f"/workflows/{workflow.id}/edit/", editor_post(**second))
    return workflow


def test_publish_page_shows_the_diff_and_publishes_with_a_note(operator_client, operator):
    workflow = two_versions(operator_client, name="Welcome v2")
    page = operator_client.get(f"/workflows/{workflow.id}/versions/2/publish/").content.decode()
    # Only the name changed: its section, and no other.
    assert re.findall(r"<h3>([^<]+)</h3>", page) == ["Name"]
    assert '<span class="line-label">Name</span> Welcome' in page
    assert "<ins> v2</ins>" in page
    operator_client.post(f"/workflows/{workflow.id}/versions/2/publish/", {"note": "renamed"})
    workflow.refresh_from_db()
    assert (workflow.live_version.number, workflow.live_version.publish_note) == (2, "renamed")
    assert workflow.live_version.published_by == operator


def test_diff_page_shows_changes_in_words_and_keeps_the_rest_reachable(operator_client):
    workflow = two_versions(operator_client, name="<b>v2</b>", template_keys=["vendor.decline"])
    html = operator_client.get(f"/workflows/{workflow.id}/diff/", {"a": 1, "b": 2}).content.decode()
    assert "Name, Applies to changed; the rest is the same." in html
    changed = re.findall(r'diff-section changed">\s*<h2>([^<]+)<', html)
    assert [title.strip() for title in changed] == ["Name", "Applies to"]
    assert "<del>Opener: welcome</del>" in html
    assert "<ins>Vendor: decline</ins>" in html
    # The unchanged steps are folded away with their content, not only called "unchanged".
    steps = html[html.index("<summary><h2>Steps") :]
    assert "the same in both: show it" in steps[:200]
    assert '<span class="line-label">Step 2 (Draft)</span> Write it.' in steps
    assert "&lt;b&gt;v2&lt;/b&gt;" in html
    assert "<b>v2</b>" not in html
    assert "appliesTo" not in html
    assert raw_codes(re.sub(r"<[^>]+>", " ", html[html.index("<main>") :])) == []


def test_comparing_a_version_with_itself_says_it_is_the_same(operator_client):
    workflow = two_versions(operator_client)
    html = operator_client.get(f"/workflows/{workflow.id}/diff/", {"a": 1, "b": 2}).content.decode()
    assert "the same content; every section is below." in html
    assert "diff-section changed" not in html
    assert html.count("<details>") == 6


def test_history_says_what_each_version_is_and_offers_compare_first(operator_client):
    workflow = two_versions(operator_client, name="Welcome v2")
    html = operator_client.get(f"/workflows/{workflow.id}/").content.decode()
    v2 = html[html.index('id="version-2"') : html.index('id="version-1"')]
    v1 = html[html.index('id="version-1"') :]
    assert '<span class="pill draft">Draft</span>' in v2
    assert "nothing drafts with it until it is" in v2
    assert "Differs from live v1 in Name." in v2
    assert f'href="/workflows/{workflow.id}/diff/?a=1&amp;b=2">Compare with live</a>' in v2
    assert '<span class="pill live">Live</span>' in v1
    assert "Live since " in v1
    # Compare sits above the versions, the live one against the newest picked.
    assert html.index('id="compare"') < html.index('id="version-2"')
    assert '<option value="1" selected>v1 · live</option>' in html
    assert '<option value="2" selected>v2 · draft</option>' in html

    operator_client.post(f"/workflows/{workflow.id}/versions/2/publish/", {"note": "renamed"})
    html = operator_client.get(f"/workflows/{workflow.id}/").content.decode()
    v1 = html[html.index('id="version-1"') :]
    assert '<span class="pill live_before">Was live</span>' in v1
    assert "when v2 replaced it" in v1
    assert "Differs from live v2 in Name." in v1


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
    snippet = Snippet.objects.get(kind="voice", key="warm-brief")
    response = operator_client.post(f"/snippets/{snippet.id}/", {"text": "New voice."})
    assert response.status_code == 302
    assert snippet.versions.count() == 2


@pytest.mark.parametrize(
    ("key", "error"),
    [
        ("", "This field is required."),
        ("bad key", "Use letters, digits, '.', '_' and '-' only."),
        ("warm-brief", "A voice rule with this key exists already; edit it on its own page."),
    ],
)
def test_a_bad_snippet_key_is_an_error_next_to_it_with_the_input_kept(operator_client, key, error):
    before = SnippetVersion.objects.count()
    response = operator_client.post(
        "/snippets/new/", {"kind": "voice", "key": key, "text": "Keep this text."}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert error_after(html, "id_key") == html_escape(error)
    assert "Keep this text.</textarea>" in html
    assert '<option value="voice" selected>' in html
    assert SnippetVersion.objects.count() == before


def test_a_new_snippet_is_created_and_shown(operator_client):
    response = operator_client.post(
        "/snippets/new/", {"kind": "safety", "key": "no-prices", "text": "Never quote prices."}
    )
    snippet = Snippet.objects.get(kind="safety", key="no-prices")
    assert response.headers["Location"] == f"/snippets/{snippet.id}/"
    assert snippet.versions.get().text == "Never quote prices."


@pytest.mark.parametrize(
    ("note", "error"),
    [
        (" ", "This field is required."),
        ("Escape \x1b[31m red", "Contains a control character (U+001B), which cannot be shown"),
    ],
)
def test_a_missing_or_garbled_publish_note_is_an_error_next_to_it(operator_client, note, error):
    operator_client.post("/workflows/new/", editor_post())
    workflow = Workflow.objects.get(slug="welcome")
    response = operator_client.post(f"/workflows/{workflow.id}/versions/1/publish/", {"note": note})
    assert response.status_code == 400
    assert error_after(response.content.decode(), "id_note").startswith(error)
    assert workflow.versions.get().status == "draft"


def test_comparing_needs_two_version_numbers(operator_client):
    operator_client.post("/workflows/new/", editor_post())
    workflow = Workflow.objects.get(slug="welcome")
    assert (
        operator_client.get(f"/workflows/{workflow.id}/diff/", {"a": "1", "b": "x"}).status_code
        == 404
    )


@pytest.mark.parametrize("slug", ["", "Not a slug!"])
def test_a_bad_slug_is_a_field_error_not_a_crash(operator_client, slug):
    response = operator_client.post("/workflows/new/", editor_post(slug=slug))
    assert response.status_code == 400
    assert error_after(response.content.decode(), "id_slug")


def test_a_duplicate_slug_is_a_field_error(operator_client):
    operator_client.post("/workflows/new/", editor_post())
    response = operator_client.post("/workflows/new/", editor_post())
    assert "already exists" in error_after(response.content.decode(), "id_slug")
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
    from tests.support.factories import definition

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


def test_retrieval_is_on_unless_a_workflow_turns_it_off_as_a_baseline(operator_client):
    from builder.services import workflow_create
    from builder.spec import workflow_spec
    from tests.support.factories import definition

    silent = workflow_create(slug="silent", definition=definition())
    assert "retrieval" not in silent.definition
    assert workflow_spec(silent).retrieval is True
    baseline = workflow_create(slug="baseline", definition=definition(retrieval=False))
    assert workflow_spec(baseline).retrieval is False
    operator_client.post("/workflows/new/", editor_post(slug="unticked"))
    unticked = Workflow.objects.get(slug="unticked").versions.get()
    assert unticked.definition["retrieval"] is False
