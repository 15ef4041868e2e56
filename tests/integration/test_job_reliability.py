"""Drafting jobs survive killed workers and a restarted Redis: every item ends drafted or
held exactly once, and nothing is sent twice."""

import os
import signal
import subprocess
import time

import pytest

from bench.fixed_latency_server import FixedLatencyServer
from engines.services import engine_build_register
from prospects.jobs import job_create, jobs_sweep, linked_draft
from prospects.models import Draft, DraftJob, DraftJobItem, Thread
from prospects.selectors import pipeline_settings
from prospects.services import draft_engine_set
from tests.conftest import GEMMA, ingest, make_inbound
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration

FAST_RECOVERY = {"JOB_ITEM_STALE_SECONDS": "3", "JOB_SWEEP_AFTER_SECONDS": "3"}


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


def test_sigkilled_workers_lose_nothing_and_send_nothing_twice(
    model, bridge, start_worker, admin_user
):
    row = pipeline_settings()
    row.auto_send_keys = ["opener.welcome"]
    row.save()
    job = job_create(user=admin_user, thread_ids=[t.id for t in threads(200)])
    for _ in range(3):
        worker = start_worker(**FAST_RECOVERY)
        time.sleep(4)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        jobs_sweep()
    start_worker(**FAST_RECOVERY)
    settle(job, timeout=180)
    assert_exactly_once(job, bridge)
    sent_drafts = Draft.objects.filter(job_item__job=job, status="sent").count()
    wait_for(
        lambda: len(bridge.received) >= sent_drafts,
        timeout=30,
        message="dispatches of the sent drafts",
    )


def test_a_redis_restart_mid_job_loses_nothing(model, bridge, start_worker, admin_user):
    job = job_create(user=admin_user, thread_ids=[t.id for t in threads(60)])
    start_worker(**FAST_RECOVERY)
    time.sleep(2)
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], check=False)
    try:
        time.sleep(3)
    finally:
        subprocess.run(
            [
                "redis-server",
                "--port",
                "6379",
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
        )
        wait_for(
            lambda: (
                subprocess.run(
                    ["redis-cli", "-p", "6379", "ping"], capture_output=True
                ).stdout.strip()
                == b"PONG"
            ),
            timeout=20,
            message="Redis to come back",
        )
    settle(job, timeout=180)
    assert_exactly_once(job, bridge)


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
