"""The playground: any text through the pipeline's stages on the worker, nothing sent."""

import pytest

from engines.breaker import breaker_reset
from engines.services import engine_build_register
from prospects.jobs.playground import playground_run_execute
from prospects.models import Decision, Draft, PlaygroundRun, Thread
from prospects.vocabulary import raw_codes
from scripts.local_model_server import GENERATOR, free_port
from tests.support.factories import GEMMA
from tests.support.panel import HTMX, logged_in, visible_text

pytestmark = pytest.mark.django_db

URL = "/playground/"


def form(text: str, engine_id: str = "template", **situation) -> dict:
    return {
        "text": text,
        "engine_id": engine_id,
        "thread_state": situation.get("thread_state", "new"),
        "archetype": situation.get("archetype", "new_contact"),
    }


def run_now(client, data: dict, capture) -> PlaygroundRun:
    """Posts the form, then gives the worker its turn (the eager task after the commit)."""
    with capture(execute=True):
        response = client.post(f"{URL}run/", data)
    assert response.status_code == 302, response.content.decode()[:500]
    run = PlaygroundRun.objects.get()
    assert response["Location"] == f"{URL}?run={run.id}"
    return run


def test_a_message_is_read_decided_checked_and_drafted_and_nothing_is_made_to_send(
    published_workflow, operator, django_capture_on_commit_callbacks
):
    client = logged_in(operator)
    rows = (Thread.objects.count(), Decision.objects.count(), Draft.objects.count())
    run = run_now(
        client,
        form("Hi\u200b! Are you free Friday evening? What is your rate?"),
        django_capture_on_commit_callbacks,
    )
    assert run.status == "done", run.error
    assert [stage["stage"] for stage in run.stages] == [
        "normalise",
        "classify",
        "decide",
        "gate2",
        "draft",
        "reply_gate",
    ]
    assert run.stages[0]["removed"] == 1
    assert run.stages[2]["template_key"]
    assert run.stages[5]["failed"] == []
    assert run.body
    # No thread, decision or draft: nothing the playground makes has a way out.
    assert (Thread.objects.count(), Decision.objects.count(), Draft.objects.count()) == rows

    page = client.get(URL, {"run": str(run.id)}).content.decode()
    assert "1 invisible character removed" in page
    assert "The reply passes every check." in page
    assert "Send checks (Gate-2)" in page
    assert raw_codes(visible_text(page)) == []


def test_the_request_only_queues_the_run_and_the_page_polls_until_it_is_done(
    operator, django_capture_on_commit_callbacks
):
    client = logged_in(operator)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(f"{URL}run/", form("What time works for you tomorrow?"))
    run = PlaygroundRun.objects.get()
    assert (run.status, run.stages) == ("queued", [])
    assert len(queued) == 1
    page = client.get(URL, {"run": str(run.id)}).content.decode()
    assert "Waiting for the worker" in page
    assert f'hx-get="/playground/runs/{run.id}/hx/"' in page

    queued[0]()
    progress = client.get(f"/playground/runs/{run.id}/hx/", **HTMX)
    assert progress.status_code == 286
    assert "hx-trigger" not in progress.content.decode()


def test_a_message_gate_2_would_hold_says_so(operator, django_capture_on_commit_callbacks):
    client = logged_in(operator)
    run = run_now(
        client, form("I'm not 18 yet, can we still meet?"), django_capture_on_commit_callbacks
    )
    gate2 = next(stage for stage in run.stages if stage["stage"] == "gate2")
    assert "safety_terms" in gate2["failed"]
    page = client.get(URL, {"run": str(run.id)}).content.decode()
    assert "A reply to this message would be held for a person." in page
    assert raw_codes(visible_text(page)) == []


def test_a_model_build_that_fails_shows_the_engines_reason_in_words(
    published_workflow, operator, django_capture_on_commit_callbacks
):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    breaker_reset(url)
    engine_build_register(
        engine_id=GEMMA, endpoint_url=url, served_model=GENERATOR, json_dialect="llama_cpp"
    )
    published_workflow(appliesTo={})
    client = logged_in(operator)
    run = run_now(client, form("Hi there", engine_id=GEMMA), django_capture_on_commit_callbacks)
    assert run.status == "done"
    assert run.body == ""
    assert run.error
    page = client.get(URL, {"run": str(run.id)}).content.decode()
    assert raw_codes(visible_text(page)) == []


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (form(""), "text", "This field is required."),
        (form("\u200b\u200b"), "text", "this one is blank once invisible characters go"),
        (form("Hi", engine_id="no-such-build"), "engine_id", "Select a valid choice."),
    ],
)
def test_bad_input_is_named_next_to_its_field_and_nothing_is_queued(operator, data, field, words):
    response = logged_in(operator).post(f"{URL}run/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert words in html
    assert not PlaygroundRun.objects.exists()


def test_a_run_delivered_twice_runs_once(operator):
    run = PlaygroundRun.objects.create(
        text="Hi", engine_id="template", status=PlaygroundRun.Status.DONE, body="kept"
    )
    assert playground_run_execute(run_id=run.id).body == "kept"
    run.refresh_from_db()
    assert (run.status, run.started_at) == ("done", None)


def test_the_page_starts_empty_and_coworkers_do_not_see_it(operator, coworker):
    page = logged_in(operator).get(URL).content.decode()
    assert "None yet: write a message above and press Run." in page
    assert logged_in(coworker).get(URL).status_code == 403
