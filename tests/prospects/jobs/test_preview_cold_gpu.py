"""A preview on a cold GPU build asks to start a machine, with what a boot costs, instead
of refusing; the run waits on the worker for the machine and then runs (issue 34)."""

import pytest

from engines.models.gpu import GpuInstance, GpuOperatorAction
from prospects.builds.gpu import gpu_tick_run
from prospects.engine_switch import draft_engine_set
from prospects.jobs.preview import PREVIEW_HOLD_MINUTES, boot_wait, preview_run_execute
from prospects.models import WorkflowPreviewRun
from tests.support.drafting import ingest
from tests.support.factories import DO_BUILD, make_inbound
from tests.support.panel import HTMX, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def cold_gpu(do_build, published_workflow, admin_user):
    draft_engine_set(engine_id=DO_BUILD, user=admin_user)
    live = published_workflow(appliesTo={})
    thread = ingest(make_inbound("Hi there, free on Friday?")).decision.thread
    return live, thread


def preview_url(version) -> str:
    return f"/workflows/{version.workflow_id}/versions/{version.number}/preview/"


def test_the_page_offers_to_start_a_machine_with_its_price(cold_gpu, admin_user):
    live, thread = cold_gpu
    html = logged_in(admin_user).get(f"{preview_url(live)}?thread={thread.id}").content.decode()
    # 180 s of boot at $3.39/h, then 15 minutes held: per second, 60 s minimum.
    assert "No GPU machine is up for" in html
    assert "costs about <strong>$1.02</strong>: $0.17 for the boot and $0.85 to keep it up" in html
    assert "Start a machine and run the chain" in html


def test_starting_a_machine_holds_the_build_warm_and_the_run_waits_for_it(
    cold_gpu, admin_user, fake_do, clock, django_capture_on_commit_callbacks
):
    live, thread = cold_gpu
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(admin_user).post(
            f"{preview_url(live)}run/", {"thread": str(thread.id), "start_machine": "on"}, **HTMX
        )
    assert response.status_code == 200
    hold = GpuOperatorAction.objects.get()
    assert (hold.kind, hold.by, hold.engine_id) == ("hold_warm", admin_user, DO_BUILD)
    assert (hold.until - hold.at).total_seconds() == PREVIEW_HOLD_MINUTES * 60
    run = WorkflowPreviewRun.objects.get()
    assert run.status == "queued"  # no machine yet: the worker left it for later

    gpu_tick_run()  # the hold starts a machine
    clock.shift(fake_do.boot_seconds + 1)
    gpu_tick_run()
    gpu_tick_run()
    assert GpuInstance.objects.get().state == GpuInstance.State.READY
    run = preview_run_execute(run_id=run.id)
    assert (run.status, run.error) == ("done", "")
    assert run.steps


def test_a_machine_that_never_comes_fails_the_run_once_a_boot_has_had_its_time(
    cold_gpu, admin_user, clock, django_capture_on_commit_callbacks
):
    live, thread = cold_gpu
    with django_capture_on_commit_callbacks(execute=True):
        logged_in(admin_user).post(
            f"{preview_url(live)}run/", {"thread": str(thread.id), "start_machine": "on"}, **HTMX
        )
    clock.shift(boot_wait().total_seconds() + 1)
    run = preview_run_execute(run_id=WorkflowPreviewRun.objects.get().id)
    assert run.status == "failed"
    assert run.error.startswith(f"No machine for {DO_BUILD} came up within 17 minutes")


def test_only_an_admin_may_start_a_machine(cold_gpu, operator):
    live, thread = cold_gpu
    html = logged_in(operator).get(f"{preview_url(live)}?thread={thread.id}").content.decode()
    assert "Only an admin may start a GPU machine" in html
    response = logged_in(operator).post(
        f"{preview_url(live)}run/", {"thread": str(thread.id), "start_machine": "on"}, **HTMX
    )
    assert "Only an admin may start a GPU machine" in response.content.decode()
    assert not GpuOperatorAction.objects.exists()
    assert not WorkflowPreviewRun.objects.exists()
