"""Each build's slots: at most max_concurrency chains in flight per worker process, live
work first, a move classification before a draft in each lane, and no chunk waits for its
slowest chain."""

import threading
import time
import uuid

import pytest

from bench.fixed_latency_server import FixedLatencyServer
from engines.concurrency import Priority, SharedSlots, Slots, slots_for, slots_reset
from engines.model_tasks import DRAFT, JUDGE, MOVE
from engines.registry import clients_close
from engines.services import build_concurrency_set, engine_build_register
from prospects.drafting.runner import chain_priority, job_chunk_run
from prospects.engine_switch import draft_engine_set
from prospects.inbound.ingest import inbound_ingest
from prospects.jobs.services import job_create
from prospects.models import Decision, DraftJobItem
from tests.support.drafting import classifier_live, ingest
from tests.support.factories import GEMMA, MOVES_BUILD, make_inbound

LIVE = Priority.of(live=True, task=MOVE)
BATCH = Priority.of(live=False, task=DRAFT)


def wait_until(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def queue_behind(slots: Slots, priorities: list[Priority]) -> tuple[list, list]:
    """Starts one waiter per priority (in that order) on full slots; returns who got a
    slot, in order, and the threads."""
    served, threads = [], []
    for priority in priorities:
        waiting = slots.waiting

        def take(priority=priority):
            slots.acquire(priority)
            served.append(priority)

        thread = threading.Thread(target=take, daemon=True)
        thread.start()
        threads.append(thread)
        wait_until(lambda waiting=waiting: slots.waiting == waiting + 1)
    return served, threads


def test_live_work_takes_the_next_free_slot_before_batch_work_that_came_first():
    slots = Slots(1)
    slots.acquire(BATCH)
    judge = Priority.of(live=False, task=JUDGE)
    served, threads = queue_behind(slots, [judge, BATCH, BATCH, LIVE])
    for expected in (LIVE, BATCH, BATCH, judge):
        slots.release()
        wait_until(lambda expected=expected: served and served[-1] == expected)
    assert served == [LIVE, BATCH, BATCH, judge]
    assert slots.in_use == 1
    for thread in threads:
        thread.join(timeout=1)


def test_within_each_lane_a_move_classification_goes_before_a_draft():
    slots = Slots(1)
    slots.acquire(BATCH)
    live_draft = Priority.of(live=True, task=DRAFT)
    batch_move = Priority.of(live=False, task=MOVE)
    # Each lane's draft asks before its move; the batch lane asks before the live one.
    order = [BATCH, batch_move, live_draft, LIVE]
    served, threads = queue_behind(slots, order)
    for count in range(1, len(order) + 1):
        slots.release()
        wait_until(lambda count=count: len(served) == count)
    assert served == [LIVE, live_draft, batch_move, BATCH]
    for thread in threads:
        thread.join(timeout=1)


@pytest.mark.django_db
def test_a_live_chain_begins_with_the_move_head_only_while_the_message_awaits_it(admin_user):
    engine_build_register(engine_id=GEMMA)
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    classifier_live("moves")  # a served head: it decides on the worker, not at ingest
    live = inbound_ingest(inbound=make_inbound("Hi")).draft.job_item
    assert chain_priority(live) == LIVE

    Decision.objects.filter(id=live.decision_id).update(classified_by=MOVES_BUILD)
    live.refresh_from_db()
    assert chain_priority(live) == Priority.of(live=True, task=DRAFT)

    job = job_create(user=admin_user, thread_ids=[live.thread_id])
    assert chain_priority(job.items.get()) == BATCH


def test_a_larger_limit_admits_waiters_at_once_and_a_smaller_one_holds_new_ones():
    slots = Slots(1)
    slots.acquire(BATCH)
    served, _ = queue_behind(slots, [BATCH, BATCH])
    slots.resize(3)
    wait_until(lambda: len(served) == 2)
    assert slots.in_use == 3
    slots.resize(1)
    for _ in range(3):
        slots.release()
    assert slots.in_use == 0
    slots.acquire(LIVE)
    late, threads = queue_behind(slots, [LIVE])
    time.sleep(0.05)
    assert late == []
    slots.release()
    threads[0].join(timeout=1)
    assert late == [LIVE]


def test_live_work_goes_first_across_processes_sharing_a_builds_slots():
    """Two SharedSlots on one build stand for two worker processes: one budget, one line."""
    engine_id = f"endpoint-slots{uuid.uuid4().hex[:8]}_1"
    here, there = SharedSlots(engine_id, 1), SharedSlots(engine_id, 1)
    holder = here.acquire(BATCH)
    assert there.in_use == 1
    served = []

    def take(slots, priority):
        token = slots.acquire(priority)
        served.append((priority, token))

    waiters = []
    # The batch chain asks first, in this process; the live one after it, in the other.
    for count, (slots, priority) in enumerate(((here, BATCH), (there, LIVE)), start=1):
        waiters.append(threading.Thread(target=take, args=(slots, priority), daemon=True))
        waiters[-1].start()
        wait_until(lambda count=count: here.waiting == count)
    here.release(holder)
    wait_until(lambda: len(served) == 1)
    assert served[0][0] == LIVE
    assert here.in_use == 1
    there.release(served[0][1])
    wait_until(lambda: len(served) == 2)
    here.release(served[1][1])
    assert (here.in_use, here.waiting) == (0, 0)
    for waiter in waiters:
        waiter.join(timeout=1)


@pytest.mark.django_db
def test_limits_come_from_the_build_and_default_by_its_kind(settings, admin_user):
    slots_reset()
    gpu = "do-gpu-mistral-nemo-12b-uncensored_2026-06-29.1"
    engine_build_register(engine_id=gpu)
    engine_build_register(engine_id=GEMMA, max_concurrency=1)
    assert slots_for(gpu).size == settings.VLLM_MAX_CONCURRENCY == 64
    assert slots_for(GEMMA).size == 1
    assert slots_for("endpoint-unregistered_2026-01-01.1").size == settings.ENGINE_CONCURRENCY
    build = build_concurrency_set(engine_id=gpu, max_concurrency=12, user=admin_user)
    assert build.history.first().history_user == admin_user
    slots_reset()
    assert slots_for(gpu).size == 12


@pytest.fixture
def slow_model(published_workflow, admin_user):
    """A 0.3 s model endpoint that serves any number at once and counts them."""
    server = FixedLatencyServer(0.3).start()
    clients_close()
    slots_reset()
    published_workflow(appliesTo={})
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    yield server
    server.stop()
    clients_close()
    slots_reset()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("limit", [2, 6])
def test_a_job_keeps_exactly_its_builds_limit_of_calls_in_flight(slow_model, admin_user, limit):
    engine_build_register(
        engine_id=GEMMA, endpoint_url=slow_model.url, served_model="fixed", max_concurrency=limit
    )
    threads = [ingest(make_inbound("Hi", thread=f"t-{n}")).decision.thread for n in range(6)]
    job = job_create(user=admin_user, thread_ids=[thread.id for thread in threads])
    job_chunk_run(item_ids=list(job.items.values_list("id", flat=True)))
    assert set(job.items.values_list("status", flat=True)) == {DraftJobItem.Status.DRAFTED}
    assert slow_model.peak_in_flight == limit
