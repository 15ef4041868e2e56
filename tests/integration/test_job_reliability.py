"""Drafting jobs survive killed workers and a restarted Redis: every item ends drafted or
held exactly once, and nothing is sent twice."""

import os
import signal
from functools import partial

import pytest

from bench.fixed_latency_server import FixedLatencyServer
from core.clock import now
from engines.services import engine_build_register
from prospects.drafting.runner import jobs_sweep, linked_draft
from prospects.engine_switch import draft_engine_set
from prospects.jobs.services import job_create
from prospects.models import Draft, DraftJob, DraftJobItem, Thread
from prospects.selectors import pipeline_settings
from tests.integration.conftest import wait_for
from tests.support.drafting import ingest
from tests.support.factories import GEMMA, make_inbound

pytestmark = pytest.mark.integration

# A killed worker's items go stale, and its slots come free, within seconds.
FAST_RECOVERY = {
    "JOB_ITEM_STALE_SECONDS": "3",
    "JOB_SWEEP_AFTER_SECONDS": "3",
    "ENGINE_SLOT_LEASE_SECONDS": "3",
}


@pytest.fixture
def model(published_workflow, admin_user, settings):
    """A deterministic model endpoint (30 ms a call) behind the GPU engine."""
    server = FixedLatencyServer(0.03, answers={"voice": "Lovely! Which evening suits you?"})
    server.start()
    engine_build_register(engine_id=GEMMA, endpoint_url=server.url, served_model="voice")
    published_workflow(appliesTo={})
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    settings.JOB_ITEM_STALE_SECONDS = 3
    settings.JOB_SWEEP_AFTER_SECONDS = 3
    yield server
    server.stop()


def threads(count: int) -> list[Thread]:
    return [
        ingest(make_inbound("Hi", thread=f"bulk-{n:03d}")).decision.thread for n in range(count)
    ]


def settle(job: DraftJob, *, timeout: float) -> None:
    def finished():
        jobs_sweep()  # what beat runs every 30 s in production
        return not job.items.filter(status__in=DraftJobItem.PENDING).exists()

    wait_for(finished, timeout=timeout, interval=1.0, message="every item to finish")


def assert_exactly_once(job: DraftJob, bridge) -> None:
    items = list(job.items.all())
    assert {item.status for item in items} <= {"drafted", "held"}
    assert all(linked_draft(item) for item in items)
    job_drafts = Draft.objects.filter(job_item__job=job)
    assert job_drafts.count() == len(items)
    sent = [payload["draft_id"] for payload in bridge.received]
    assert len(sent) == len(set(sent)), "a draft was dispatched twice"
    job.refresh_from_db()
    assert job.status == DraftJob.Status.DONE


def swept_since(moment, item_ids) -> bool:
    """Runs the sweep (what beat runs every 30 s in production); True once every item has
    been re-enqueued by it since ``moment`` (nothing else moves ``enqueued_at`` on)."""
    jobs_sweep()
    return not DraftJobItem.objects.filter(id__in=item_ids, enqueued_at__lt=moment).exists()


def test_sigkilled_workers_lose_nothing_and_send_nothing_twice(
    model, bridge, start_worker, admin_user
):
    row = pipeline_settings()
    row.auto_send_keys = ["opener.welcome"]
    row.save()
    job = job_create(user=admin_user, thread_ids=[t.id for t in threads(200)])
    # Each item spends 0.4 s in model calls, so a kill always finds items mid-work.
    model.latency_seconds = 0.2
    running = job.items.filter(status=DraftJobItem.Status.RUNNING)
    interrupted = set()
    for _ in range(3):
        worker = start_worker(**FAST_RECOVERY)
        wait_for(running.exists, timeout=60, message="the worker to start drafting")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        killed_at = now()
        caught = set(running.values_list("id", flat=True))
        assert caught, "no item was mid-work when its worker died"
        # The dead worker's items stay running until they go stale; then the sweep
        # enqueues them again.
        wait_for(partial(swept_since, killed_at, caught), timeout=30, message="the sweep")
        interrupted |= caught
    start_worker(**FAST_RECOVERY)
    settle(job, timeout=180)
    assert_exactly_once(job, bridge)
    # Each interrupted item was claimed again after its sweep, and finished.
    finished = job.items.filter(id__in=interrupted)
    assert {(item.status in {"drafted", "held"}, item.attempts >= 2) for item in finished} == {
        (True, True)
    }
    sent_drafts = Draft.objects.filter(job_item__job=job, status="sent").count()
    wait_for(
        lambda: len(bridge.received) >= sent_drafts,
        timeout=30,
        message="dispatches of the sent drafts",
    )


def test_a_redis_restart_mid_job_loses_nothing(
    private_broker, model, bridge, start_worker, admin_user
):
    job = job_create(user=admin_user, thread_ids=[t.id for t in threads(60)])
    model.latency_seconds = 0.2  # the job is still under way when Redis goes down
    start_worker(**FAST_RECOVERY)
    wait_for(
        job.items.filter(status="drafted").exists, timeout=60, message="the first item drafted"
    )
    # Killed with nothing saved: the queued messages are gone when it comes back.
    private_broker.stop()
    crashed_at = now()
    pending = set(job.items.filter(status__in=DraftJobItem.PENDING).values_list("id", flat=True))
    private_broker.start()
    assert pending, "the job finished before Redis went down"
    settle(job, timeout=180)
    assert_exactly_once(job, bridge)
    # Items whose messages were lost were enqueued again by the sweep, never by a crashed
    # attempt (which records its error), and only items the crash caught pending were.
    swept = set(
        job.items.filter(enqueued_at__gte=crashed_at, last_error="").values_list("id", flat=True)
    )
    assert swept
    assert swept <= pending


def test_a_dead_model_server_makes_items_wait_then_finish(
    model, bridge, start_worker, admin_user, settings
):
    job = job_create(user=admin_user, thread_ids=[t.id for t in threads(30)])
    port = model.server_address[1]
    model.stop()
    start_worker(JOB_ENGINE_RETRY_SECONDS="1", BREAKER_RESET_SECONDS="2", **FAST_RECOVERY)

    def some_waiting_or_held():
        return job.items.filter(status__in=["waiting", "held"]).exists()

    wait_for(some_waiting_or_held, timeout=60, message="items to wait or hold")
    revived = FixedLatencyServer(0.03, port=port, answers={"voice": "Back again!"}).start()
    try:
        settle(job, timeout=180)
        items = list(job.items.all())
        assert {item.status for item in items} <= {"drafted", "held"}
        assert job.items.filter(status="drafted").exists()
        held = job.items.filter(status="held")
        assert set(held.values_list("draft__hold_reason", flat=True)) <= {
            "engine_error",
            "breaker_open",
        }
    finally:
        revived.stop()
