import subprocess
import time

import pytest
from django.conf import settings

from config.celery import app as celery_app
from scripts.local_worker import worker_start


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
def start_worker(transactional_db, real_queue):
    """Starts real Celery worker processes against the test database and Redis."""
    processes = []

    def start(**env_overrides) -> subprocess.Popen:
        process = worker_start(BRIDGE_WEBHOOK_URL=settings.BRIDGE_WEBHOOK_URL, **env_overrides)
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.kill()
        process.wait(timeout=10)
