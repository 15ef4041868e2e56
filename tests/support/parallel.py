"""The suite in parallel (pytest-xdist, as `make test` runs it): what each worker keeps to
itself, which tests share a worker, and in what order the work is handed out.

Each worker process (gw0, gw1, ...) has its own
- PostgreSQL database: pytest-django names it test_<name>_gw<n>;
- Redis database: the base one plus the worker's number (``worker_redis_isolate``), so the
  broker's queues, the breakers and the engine slot leases of one worker's tests, and of
  the Celery workers and processes those tests start, are never seen by another's;
- ports: every server a test starts (live server, model server, fake cloud, bridge,
  private Redis, `make run`) binds port 0 or asks the kernel for a spare port.

The migrations insert no rows into a fresh database (builder 0003 adds its canon only to an
install that already has canon), so a transactional test's flush leaves the database as
the migrations left it, whichever worker's tests run after it.

Tests that share an expensive fixture form an xdist group, run by one worker one after
another (``--dist loadgroup``): the llama.cpp model server is started and warmed once per
run, one Chromium serves the browser tests, the tiny training model is built once. The
model server and the trainer are CPU-bound: running them side by side on two cores would
only slow each other down.

With ``--no-loadscope-reorder`` xdist hands out the work in collection order, so the
workers reorder their collection (each the same way, as xdist requires): the longest work
first (the `make run` demos, then the groups, then the tests that drive real Celery
workers), the many short tests after them, to even out the end of the run.
"""

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

# Settings that name a Redis database; the environment variables of the same names are what
# the processes that tests start read.
REDIS_SETTINGS = ("CELERY_BROKER_URL", "BREAKER_REDIS_URL", "ENGINE_SLOTS_REDIS_URL")
REDIS_SCHEMES = ("redis", "rediss", "rediscache")

# A marker for what a test needs that the inner loop (`make test-fast`) leaves out, by the
# fixture that brings it.
MARKER_BY_FIXTURE = {
    "page": "browser",
    "chromium": "browser",
    "model_server": "model_server",
    "demo_tree": "demo",
}

# xdist groups, by the fixture they share; a test that needs several joins the first.
GROUP_BY_FIXTURE = {
    "model_server": "model_server",
    "chromium": "browser",
    "tiny_base": "tiny_lm",
}

# The order of the work (lower first); the rest keeps its collection order after these.
DEMO, MODEL_SERVER, BROWSER, TINY_LM, CELERY_WORKERS, REST = range(6)
RANK_BY_GROUP = {"model_server": MODEL_SERVER, "browser": BROWSER, "tiny_lm": TINY_LM}


def worker_number() -> int | None:
    """This xdist worker's number (gw2: 2); None outside a parallel run."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else None


def redis_url_shifted(url: str, shift: int) -> str:
    """``url`` with its database number moved on by ``shift`` (no number: database 0)."""
    parts = urlsplit(url)
    if parts.scheme not in REDIS_SCHEMES or shift == 0:
        return url
    database = int(parts.path.strip("/") or 0) + shift
    return urlunsplit(parts._replace(path=f"/{database}"))


def worker_redis_isolate(settings) -> None:
    """Moves this worker's Redis settings, and the environment variables its subprocesses
    read, to the database numbered base + worker number. Runs before any test connects.

    Only variables already set are rewritten: one left unset still follows
    CELERY_BROKER_URL in a subprocess, as the settings module derives it (a test that moves
    the broker to a private Redis moves those with it)."""
    shift = worker_number()
    if not shift:
        return
    for name in REDIS_SETTINGS:
        setattr(settings, name, redis_url_shifted(getattr(settings, name), shift))
        if name in os.environ:
            os.environ[name] = redis_url_shifted(os.environ[name], shift)
    for cache in settings.CACHES.values():
        if isinstance(cache.get("LOCATION"), str):
            cache["LOCATION"] = redis_url_shifted(cache["LOCATION"], shift)
    if "CACHE_URL" in os.environ:
        os.environ["CACHE_URL"] = redis_url_shifted(os.environ["CACHE_URL"], shift)


def stable_parametrize_id(value) -> str | None:
    """The test id of a random UUID in a parametrize list (``str(uuid.uuid4())`` at import),
    the same in every worker: each imports the module anew, and xdist refuses to run when
    their collections differ. None for any other value: pytest's own id."""
    if not isinstance(value, str):
        return None
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    return "uuid4" if parsed.version == 4 else None


def mark_by_fixture(items: list[pytest.Item], *, groups: bool) -> None:
    """Marks each test by the expensive fixtures it uses (``-m "not browser"`` and the
    like select on them) and, with ``groups`` (xdist is loaded: it declares the marker),
    puts it in the xdist group of the first one it shares."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        for fixture, marker in MARKER_BY_FIXTURE.items():
            if fixture in fixtures:
                item.add_marker(marker)
        if not groups:
            continue
        for fixture, group in GROUP_BY_FIXTURE.items():
            if fixture in fixtures and not item.get_closest_marker("xdist_group"):
                item.add_marker(pytest.mark.xdist_group(group))
                break


def rank(item: pytest.Item) -> int:
    if item.get_closest_marker("demo"):
        return DEMO
    group = item.get_closest_marker("xdist_group")
    if group:
        return RANK_BY_GROUP.get(group.args[0], REST)
    if "start_worker" in getattr(item, "fixturenames", ()):
        return CELERY_WORKERS
    return REST


def longest_first(items: list[pytest.Item]) -> None:
    """Sorts the collection, in place, longest work first; stable, so every worker
    sorts it the same way."""
    items.sort(key=rank)
