"""Crash tests: a real tick process is SIGKILLed between two steps of provision or release;
the next tick converges with no leaked droplet and no second one."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from engines.gpu.lifecycle import BuildLoad, lifecycle_tick
from engines.gpu.services import gpu_policy_update, gpu_release_now
from engines.models.gpu import GpuInstance, GpuTickLease
from engines.services import engine_build_register
from prospects.jobs.services import job_create
from scripts.local_worker import ROOT, database_url
from tests.support.do_api import FakeDigitalOcean
from tests.support.drafting import ingest
from tests.support.factories import DO_BUILD, make_inbound

State = GpuInstance.State
WORK = {DO_BUILD: BuildLoad(items=3)}
LEASE_SECONDS = 1.0


@pytest.fixture
def fake_do(settings):
    fake = FakeDigitalOcean(boot_seconds=0).start()
    settings.DO_TOKEN = "test-token"
    settings.DO_API_URL = fake.url
    settings.DO_API_CA_BUNDLE = fake.ca_file
    settings.GPU_TICK_LEASE_SECONDS = LEASE_SECONDS
    yield fake
    fake.stop()


@pytest.fixture
def build(transactional_db, fake_do, gpu_box, canon, real_queue, admin_user):
    """A do-gpu build with a drafting job waiting for it: the tick process reads that."""
    build = engine_build_register(engine_id=DO_BUILD, served_model="fixed", model_path="/mnt/w")
    gpu_policy_update(user=None, hourly_prices={"gpu-h100x1-80gb": 3.39})
    threads = [ingest(make_inbound()).decision.thread_id for _ in range(3)]
    job_create(user=admin_user, thread_ids=threads, engine_id=DO_BUILD)
    return build


def tick_process() -> subprocess.Popen:
    """``manage.py gpu_tick`` as its own process, on this test's database and fake cloud."""
    env = dict(
        os.environ,
        DATABASE_URL=database_url(),
        DO_TOKEN=settings.DO_TOKEN,
        DO_API_URL=settings.DO_API_URL,
        DO_API_CA_BUNDLE=settings.DO_API_CA_BUNDLE,
        GPU_SERVER_PORT=str(settings.GPU_SERVER_PORT),
        DO_VPC_UUID=settings.DO_VPC_UUID,
        DO_APP_REGION=settings.DO_APP_REGION,
        GPU_APP_CIDR=settings.GPU_APP_CIDR,
        DROPLET_API_URL=settings.DROPLET_API_URL,
        GPU_TICK_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "gpu_tick"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def kill_when_stalled(fake_do, process) -> None:
    assert fake_do.stalled.wait(timeout=60), "the tick never reached the stalled call"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    fake_do.stalled.clear()


def converge(loads, *, after_crash: bool = True) -> None:
    """Ticks until the killed process's lease has expired and the state has settled; after
    a crash, the first tick must be the one that takes the dead tick's lease over."""
    if after_crash:
        dead = GpuTickLease.objects.get()
        assert dead.holder is not None, "the killed tick was not mid-tick: it gave its lease back"
        time.sleep(LEASE_SECONDS + 0.5)  # a real lease on the real clock, held by the dead
        assert lifecycle_tick(loads=loads) is not None, "no tick took the expired lease over"
    for _ in range(3):
        lifecycle_tick(loads=loads)
    assert GpuTickLease.objects.get().holder is None


def assert_converged(fake_do) -> None:
    live = GpuInstance.objects.filter(state__in=GpuInstance.LIVE)
    droplet_ids = {int(droplet_id) for droplet_id in fake_do.droplets}
    assert droplet_ids <= {instance.droplet_id for instance in live}, "a droplet leaked"
    assert len(droplet_ids) <= 1, "provisioned twice"
    assert live.count() <= 1, "provisioned twice"


@pytest.mark.integration
def test_killed_after_the_row_before_the_create(build, fake_do):
    fake_do.delay_next(0, method="GET")  # the reconciler's listing goes through
    fake_do.delay_next(60, method="GET")  # the find-by-tag before the create stalls
    kill_when_stalled(fake_do, tick_process())
    assert GpuInstance.objects.get().droplet_id is None
    assert fake_do.droplets == {}

    converge(WORK)

    assert GpuInstance.objects.get().state == State.READY
    assert len(fake_do.droplets) == 1
    assert_converged(fake_do)


@pytest.mark.integration
def test_killed_after_the_create_before_the_droplet_is_saved(build, fake_do):
    fake_do.delay_next(60, after_apply=True, method="POST")
    kill_when_stalled(fake_do, tick_process())
    assert GpuInstance.objects.get().droplet_id is None
    assert len(fake_do.droplets) == 1

    converge(WORK)

    instance = GpuInstance.objects.get()
    assert instance.state == State.READY
    assert str(instance.droplet_id) == next(iter(fake_do.droplets))
    assert_converged(fake_do)


@pytest.mark.integration
def test_killed_after_release_is_marked_before_the_destroy(build, fake_do, admin_user):
    converge(WORK, after_crash=False)
    gpu_release_now(engine_id=DO_BUILD, user=admin_user)
    fake_do.delay_next(60, method="GET")  # the reconciler's listing stalls
    kill_when_stalled(fake_do, tick_process())
    assert GpuInstance.objects.get().state == State.RELEASING
    assert len(fake_do.droplets) == 1

    converge({})

    assert GpuInstance.objects.get().state == State.OFF
    assert fake_do.droplets == {}
    assert_converged(fake_do)


@pytest.mark.integration
def test_killed_after_the_destroy_before_the_row_says_off(build, fake_do, admin_user):
    converge(WORK, after_crash=False)
    gpu_release_now(engine_id=DO_BUILD, user=admin_user)
    fake_do.delay_next(60, after_apply=True, method="DELETE")
    kill_when_stalled(fake_do, tick_process())
    assert GpuInstance.objects.get().state == State.RELEASING
    assert fake_do.droplets == {}

    converge({})

    assert GpuInstance.objects.get().state == State.OFF
    assert_converged(fake_do)
