"""The workflow preview: the engine is the one production drafts with, chosen by the same
rule, and the chain runs on the worker, never inside the request."""

import pytest
from django.utils.html import escape

from engines.breaker import breaker_reset
from engines.holds import HoldReason
from engines.services import engine_build_register
from prospects.engine_switch import draft_engine_set
from prospects.jobs.preview import preview_build, preview_run_execute
from prospects.models import WorkflowPreviewRun
from scripts.local_model_server import GENERATOR, free_port
from tests.support.drafting import gemma_served, ingest
from tests.support.factories import GEMMA, make_inbound
from tests.support.panel import HTMX, logged_in

pytestmark = pytest.mark.django_db


def preview_url(version) -> str:
    return f"/workflows/{version.workflow_id}/versions/{version.number}/preview/"


def test_preview_and_production_agree_on_the_active_draft_engine(published_workflow, admin_user):
    live = published_workflow()
    for engine_id in ("template", GEMMA):
        draft_engine_set(engine_id=engine_id, user=admin_user)
        decision = ingest(make_inbound("Hi there")).decision
        route = preview_build(version=live, thread=decision.thread).route
        assert decision.engine_id == route.engine_id == engine_id
        assert (route.reason, route.experiment_arm) == ("the active draft engine", "")


def test_preview_and_production_agree_on_an_experiment_arms_engine(experiment):
    decisions = [ingest(make_inbound("Hi there")).decision for _ in range(12)]
    arms = {decision.experiment_arm for decision in decisions}
    assert arms == {"welcome-ab:A", "welcome-ab:B"}
    live = experiment.arms.get(key="A").workflow_version
    for decision in decisions:
        route = preview_build(version=live, thread=decision.thread).route
        assert route.engine_id == decision.engine_id
        assert route.experiment_arm == decision.experiment_arm
        assert route.reason == f"arm {decision.experiment_arm[-1]} of experiment welcome-ab"


def test_the_page_says_which_engine_and_why(experiment, operator):
    decision = next(
        d
        for d in (ingest(make_inbound("Hi there")).decision for _ in range(12))
        if d.experiment_arm == "welcome-ab:B"
    )
    live = experiment.arms.get(key="A").workflow_version
    html = (
        logged_in(operator)
        .get(preview_url(live), {"thread": str(decision.thread_id)})
        .content.decode()
    )
    assert f"Production drafts this thread on <code>{GEMMA}</code>: arm B of experiment" in html
    assert f"it runs <code>{experiment.arms.get(key='B').workflow_version.label}</code>" in html


@pytest.fixture
def gemma_reachable(published_workflow, admin_user):
    """GEMMA is the active engine, with an endpoint where nothing listens."""
    url = f"http://127.0.0.1:{free_port()}"
    breaker_reset(url)
    engine_build_register(
        engine_id=GEMMA, endpoint_url=url, served_model=GENERATOR, json_dialect="llama_cpp"
    )
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    live = published_workflow()
    return live, ingest(make_inbound("Hi there")).decision.thread


def test_running_on_the_model_queues_a_row_for_the_worker(
    gemma_reachable, operator, django_capture_on_commit_callbacks
):
    live, thread = gemma_reachable
    client = logged_in(operator)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(f"{preview_url(live)}run/", {"thread": str(thread.id)}, **HTMX)
    run = WorkflowPreviewRun.objects.get()
    html = response.content.decode()
    # The request wrote the row and called no model: the task waits for the commit.
    assert (run.status, run.engine_id, run.steps) == ("queued", GEMMA, [])
    assert len(queued) == 1
    assert "Waiting for the worker" in html
    assert f'hx-get="/preview-runs/{run.id}/progress_hx/"' in html
    assert 'hx-trigger="every 1s"' in html

    queued[0]()  # the worker's turn (eager task): nothing listens at the endpoint
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error.split(":")[0] in HoldReason.values
    assert run.finished_at is not None
    progress = client.get(f"/preview-runs/{run.id}/progress_hx/", **HTMX)
    assert progress.status_code == 286
    assert escape(run.error) in progress.content.decode()
    assert "hx-trigger" not in progress.content.decode()


def test_a_run_delivered_twice_calls_the_model_once(gemma_reachable, operator):
    live, thread = gemma_reachable
    run = WorkflowPreviewRun.objects.create(
        version=live,
        thread=thread,
        decision=thread.decisions.first(),
        engine_id=GEMMA,
        status=WorkflowPreviewRun.Status.DONE,
        steps=[{"kind": "draft", "output": "kept"}],
    )
    assert preview_run_execute(run_id=run.id).steps == [{"kind": "draft", "output": "kept"}]
    run.refresh_from_db()
    assert (run.status, run.started_at) == ("done", None)


def test_the_template_engine_runs_no_chain_and_nothing_is_queued(published_workflow, operator):
    live = published_workflow()
    thread = ingest(make_inbound("Hi there")).decision.thread
    client = logged_in(operator)
    page = client.get(preview_url(live), {"thread": str(thread.id)}).content.decode()
    assert "Run the chain on" not in page
    assert "it runs no chain" in page
    response = client.post(f"{preview_url(live)}run/", {"thread": str(thread.id)}, **HTMX)
    assert "template runs no chain on a model now." in response.content.decode()
    assert not WorkflowPreviewRun.objects.exists()


@pytest.mark.parametrize("bad", ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_running_on_a_thread_that_does_not_exist_says_so_next_to_the_thread(
    gemma_reachable, operator, bad
):
    live, _ = gemma_reachable
    client = logged_in(operator)
    partial = client.post(f"{preview_url(live)}run/", {"thread": bad}, **HTMX)
    assert partial.status_code == 400
    assert '<section id="preview-run" class="card"' in partial.content.decode()
    assert '<p class="field-error" id="id_thread_error">Thread: ' in partial.content.decode()
    page = client.post(f"{preview_url(live)}run/", {"thread": bad})
    assert page.status_code == 400
    html = page.content.decode()
    assert 'aria-describedby="id_thread_error"' in html
    assert '<p class="field-error" id="id_thread_error">' in html
    assert not WorkflowPreviewRun.objects.exists()


def test_coworkers_preview_but_cannot_run_the_chain(gemma_reachable, coworker):
    live, thread = gemma_reachable
    client = logged_in(coworker)
    page = client.get(preview_url(live), {"thread": str(thread.id)}).content.decode()
    assert "Production drafts this thread on" in page
    assert "Run the chain on" not in page
    assert client.post(f"{preview_url(live)}run/", {"thread": str(thread.id)}).status_code == 403
    assert not WorkflowPreviewRun.objects.exists()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_smoke_the_worker_runs_the_chain_on_the_local_model(
    gpu_path, model_server, published_workflow, admin_user, operator
):
    """A smoke test: Gemma 270M may write a reply or be cut off (then the run fails with
    the engine's reason); either way the worker ran the think step and stored it."""
    live = published_workflow(appliesTo={})
    # Ingested on the template engine, so the test waits for the preview's chain only.
    thread = ingest(make_inbound("Hi, I saw your profile")).decision.thread
    gemma_served(model_server.url)
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    client = logged_in(operator)
    # The commit runs the eagerly queued task, as a worker would after it.
    client.post(f"{preview_url(live)}run/", {"thread": str(thread.id)})
    run = WorkflowPreviewRun.objects.get()
    assert run.is_finished
    assert run.steps[0]["kind"] == "think"
    assert run.steps[0]["tokens_in"] > 0
    html = client.get(preview_url(live), {"thread": str(thread.id)}).content.decode()
    section = html[html.index('<section id="preview-run"') :]
    assert f'class="pill run-{run.status}"' in section
    assert "Step 1 · think <span" in section
