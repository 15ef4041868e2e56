"""What prospects hands the GPU lifecycle: the backlog and arrival history per GPU build."""

import pytest

from engines.services import engine_build_register
from prospects.builds.gpu import build_loads
from prospects.engine_switch import draft_engine_set
from prospects.inbound.ingest import inbound_ingest
from prospects.jobs.services import job_cancel, job_create
from tests.support.drafting import ingest
from tests.support.factories import DO_BUILD, make_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def threads(canon):
    engine_build_register(engine_id=DO_BUILD)
    return [ingest(make_inbound("Hi")).decision.thread_id for _ in range(3)]


def test_every_gpu_build_is_reported_even_with_nothing_waiting(threads):
    assert build_loads()[DO_BUILD].items == 0
    assert "template" not in build_loads()


def test_waiting_items_and_job_arrivals_are_counted_per_build(threads, operator, clock):
    first = job_create(user=operator, thread_ids=threads[:2], engine_id=DO_BUILD)
    clock.shift(600)
    second = job_create(user=operator, thread_ids=threads[2:], engine_id=DO_BUILD)
    job_create(user=operator, thread_ids=threads, engine_id="template")

    load = build_loads()[DO_BUILD]

    assert load.items == 3
    assert load.arrivals == (first.created_at, second.created_at)


def test_live_messages_for_a_gpu_build_are_its_backlog_and_its_arrivals(canon, admin_user, clock):
    engine_build_register(engine_id=DO_BUILD)
    draft_engine_set(engine_id=DO_BUILD, user=admin_user)
    first = inbound_ingest(inbound=make_inbound("Hi")).draft
    clock.shift(60)
    second = inbound_ingest(inbound=make_inbound("Hello")).draft

    load = build_loads()[DO_BUILD]

    assert (first.status, second.status) == ("queued", "queued")
    assert (load.items, load.live_items) == (2, 2)
    assert load.oldest_age_seconds == 60
    assert load.arrivals == (first.job_item.created_at, second.job_item.created_at)


def test_arrivals_outlive_the_backlog(threads, operator):
    job = job_create(user=operator, thread_ids=threads, engine_id=DO_BUILD)
    job_cancel(job=job)

    load = build_loads()[DO_BUILD]

    assert load.items == 0
    assert load.arrivals == (job.created_at,)
