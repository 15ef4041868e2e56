"""A build's max_concurrency is one budget for every worker process: two workers never run
more chains against it than its limit, and a killed worker's slot comes free within its
lease (issue 31, item 11)."""

import os
import signal
import time

import pytest

from bench.fixed_latency_server import FixedLatencyServer
from engines.concurrency import Priority, slots_for, slots_reset
from engines.model_tasks import MOVE
from engines.services import engine_build_register
from engines.slot_leases import leases_in_use
from prospects.engine_switch import draft_engine_set
from prospects.jobs.services import job_create
from prospects.models import DraftJobItem
from tests.integration.conftest import wait_for
from tests.support.drafting import ingest
from tests.support.factories import GEMMA, make_inbound

pytestmark = pytest.mark.integration

LEASE_SECONDS = 2.0


@pytest.fixture
def one_slot_build(published_workflow, admin_user):
    """GEMMA on a deterministic server that counts the calls it holds at once, with a
    limit of one chain at a time (a llama.cpp server's)."""
    server = FixedLatencyServer(0.1, answers={"voice": "Lovely! Which evening suits you?"})
    server.start()
    engine_build_register(
        engine_id=GEMMA, endpoint_url=server.url, served_model="voice", max_concurrency=1
    )
    published_workflow(appliesTo={})
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    slots_reset()
    yield server
    server.stop()
    slots_reset()


def test_two_worker_processes_never_run_more_chains_than_the_builds_limit(
    one_slot_build, start_worker, admin_user, settings
):
    threads = [ingest(make_inbound("Hi", thread=f"slots-{n}")).decision.thread for n in range(8)]
    # Small chunks, so both workers take some of the job's items at the same time.
    settings.JOB_MODEL_CHUNK_SIZE = 2
    job = job_create(user=admin_user, thread_ids=[thread.id for thread in threads])
    start_worker(ENGINE_SLOT_LEASE_SECONDS=str(LEASE_SECONDS))
    start_worker(ENGINE_SLOT_LEASE_SECONDS=str(LEASE_SECONDS))

    def finished():
        return not job.items.filter(status__in=DraftJobItem.PENDING).exists()

    wait_for(finished, timeout=120, message="every item to be drafted")
    assert set(job.items.values_list("status", flat=True)) == {DraftJobItem.Status.DRAFTED}
    assert one_slot_build.served >= 8
    assert one_slot_build.peak_in_flight == 1


def test_a_sigkilled_holder_frees_its_slot_within_the_lease(
    one_slot_build, start_worker, admin_user
):
    # One chain that holds the only slot for far longer than the test waits.
    one_slot_build.latency_seconds = 60
    thread = ingest(make_inbound("Hi", thread="slots-holder")).decision.thread
    job_create(user=admin_user, thread_ids=[thread.id])
    worker = start_worker(ENGINE_SLOT_LEASE_SECONDS=str(LEASE_SECONDS))

    wait_for(lambda: one_slot_build.in_flight == 1, timeout=60, message="the chain to start")
    assert leases_in_use(GEMMA) == 1
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    killed_at = time.monotonic()

    # The holder is gone, so nobody renews its lease: the slot is free within one lease.
    wait_for(
        lambda: leases_in_use(GEMMA) == 0,
        timeout=LEASE_SECONDS + 1,
        interval=0.05,
        message="the dead worker's lease to expire",
    )
    assert time.monotonic() - killed_at <= LEASE_SECONDS + 0.5
    slots = slots_for(GEMMA)
    token = slots.acquire(Priority.of(live=True, task=MOVE))
    assert leases_in_use(GEMMA) == 1
    slots.release(token)
    assert leases_in_use(GEMMA) == 0
