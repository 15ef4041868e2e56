"""A real Celery worker process against the current database (tests and benchmarks)."""

import itertools
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


_workers = itertools.count()


def worker_start(
    *,
    queues: str = "live,celery,lifecycle,events",
    concurrency: int = 1,
    pool: str = "",
    **env_overrides,
) -> subprocess.Popen:
    """A worker on the same database and broker as this process: one solo-pool process, a
    prefork pool of ``concurrency`` processes, or the ``pool`` named ("threads": one
    process, as the drafting worker is deployed)."""
    env = dict(
        os.environ,
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_TASK_ALWAYS_EAGER="0",
        **env_overrides,
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--pool={pool or ('solo' if concurrency == 1 else 'prefork')}",
            f"--concurrency={concurrency}",
            f"--queues={queues}",
            f"--hostname={queues.replace(',', '-')}-{next(_workers)}@%h",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
    )
