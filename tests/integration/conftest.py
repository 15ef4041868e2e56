import subprocess
import time

import pytest
from django.conf import settings

from config.celery import app as celery_app
from scripts.local_worker import worker_start
from tests.support.demo import clean_copy
from tests.support.redis_server import PrivateRedis


def wait_for(condition, *, timeout: float, interval: float = 0.2, message: str = "condition"):
    """Polls a real process's effect until ``condition()`` is truthy or the deadline passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture
def real_queue():
    """Tasks go through the real broker instead of running inline."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture
def private_broker(settings):
    """Celery's broker on a private Redis, for tests that stop or restart it: workers
    started afterwards and this process both use it. Request it before ``start_worker``."""
    server = PrivateRedis().start()
    settings.CELERY_BROKER_URL = server.url
    with pytest.MonkeyPatch.context() as patch:
        # Celery reads CELERY_BROKER_URL from the environment before its configuration.
        patch.setenv("CELERY_BROKER_URL", server.url)
        _broker_pools_drop()
        yield server
    _broker_pools_drop()
    server.stop()


def _broker_pools_drop() -> None:
    # Celery keeps its connection and producer pools for the broker it first reached and
    # drops them only after a fork; so do we, and the next publish connects anew.
    celery_app._after_fork()


@pytest.fixture
def start_worker(transactional_db, real_queue):
    """Starts real Celery worker processes against the test database and Redis."""
    processes = []

    def start(**env_overrides) -> subprocess.Popen:
        process = worker_start(
            BRIDGE_WEBHOOK_URL=settings.BRIDGE_WEBHOOK_URL,
            BRIDGE_SIGNING_SECRET=settings.BRIDGE_SIGNING_SECRET,
            **env_overrides,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def demo_tree(tmp_path):
    """A clean copy of the tree, as a fresh clone has it, for `make run` (tests.support.demo)."""
    return clean_copy(tmp_path / "prospector")
