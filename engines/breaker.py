"""Circuit breakers per model endpoint (pybreaker), shared by every worker process.

Prefork children share no memory, so the state lives in Redis when one is configured;
the zero-service demo (`make run`, one worker process) keeps it in memory.

pybreaker holds one lock across the whole guarded call, which would serialise every
concurrent request to an endpoint (a batch of drafts ran 8x slower). So each thread gets
its own breaker object over the endpoint's one shared storage: the state and counters
are still shared, exactly as they are between processes.

pybreaker's ``opened_at`` moves on each time a half-open probe fails, so how long an
endpoint has been down is kept beside it: set when the breaker first opens, cleared when
it closes (``breaker_down_since``).
"""

import hashlib
import threading
from datetime import UTC, datetime
from functools import cache

import pybreaker
import redis
from django.conf import settings

from core.clock import now


@cache
def _redis_client():
    return redis.Redis.from_url(settings.BREAKER_REDIS_URL, socket_timeout=2)


def _namespace(endpoint: str) -> str:
    return "prospector:" + hashlib.sha256(endpoint.encode()).hexdigest()[:16]


def _storage(endpoint: str) -> pybreaker.CircuitBreakerStorage:
    if not settings.BREAKER_REDIS_URL:
        return pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
    return pybreaker.CircuitRedisStorage(
        pybreaker.STATE_CLOSED, _redis_client(), namespace=_namespace(endpoint)
    )


# The demo's one worker process keeps down-since times here; with Redis, beside the state.
_down_since: dict[str, datetime] = {}


def _down_since_key(endpoint: str) -> str:
    return _namespace(endpoint) + ":down_since"


class _DownSince(pybreaker.CircuitBreakerListener):
    """Records when the endpoint went down: the first opening since it last closed."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint

    def state_change(self, cb, old_state, new_state) -> None:
        opened = new_state.name == pybreaker.STATE_OPEN
        if not settings.BREAKER_REDIS_URL:
            if opened:
                _down_since.setdefault(self.endpoint, now())
            elif new_state.name == pybreaker.STATE_CLOSED:
                _down_since.pop(self.endpoint, None)
            return
        key = _down_since_key(self.endpoint)
        if opened:
            _redis_client().set(key, now().isoformat(), nx=True)
        elif new_state.name == pybreaker.STATE_CLOSED:
            _redis_client().delete(key)


_storages: dict[str, pybreaker.CircuitBreakerStorage] = {}
_local = threading.local()


def breaker_for(endpoint: str) -> pybreaker.CircuitBreaker:
    """Opens after ``BREAKER_FAIL_MAX`` consecutive failures; half-opens after the reset time."""
    if endpoint not in _storages:
        _storages[endpoint] = _storage(endpoint)
    breakers = _local.__dict__.setdefault("breakers", {})
    if endpoint not in breakers:
        breakers[endpoint] = pybreaker.CircuitBreaker(
            fail_max=settings.BREAKER_FAIL_MAX,
            reset_timeout=settings.BREAKER_RESET_SECONDS,
            state_storage=_storages[endpoint],
            name=endpoint,
            # A request the server refuses (4xx) says nothing about the server's health.
            exclude=[lambda error: getattr(error, "permanent", False)],
            # Re-raise the failure that trips the breaker, not a generic breaker error.
            throw_new_error_on_trip=False,
            listeners=[_DownSince(endpoint)],
        )
    return breakers[endpoint]


def breakers_forget() -> None:
    """Drops this process's breakers so new ones read the current settings."""
    _storages.clear()
    _local.__dict__.pop("breakers", None)


def breaker_state(endpoint: str) -> str:
    """``closed``, ``open`` or ``half-open``, as every process sees it."""
    return breaker_for(endpoint).current_state


def breaker_admits(endpoint: str) -> bool:
    """Whether a call may go now: closed, half-open, or open long enough to probe again."""
    breaker = breaker_for(endpoint)
    if breaker.current_state != pybreaker.STATE_OPEN:
        return True
    opened_at = _storages[endpoint].opened_at
    return (
        opened_at is None
        or (datetime.now(UTC) - opened_at).total_seconds() >= breaker.reset_timeout
    )


def breaker_down_since(endpoint: str) -> datetime | None:
    """When the endpoint's breaker first opened since it last closed (its last opening,
    if that was not recorded); None while closed."""
    if breaker_state(endpoint) == pybreaker.STATE_CLOSED:
        return None
    if not settings.BREAKER_REDIS_URL:
        recorded = _down_since.get(endpoint)
    else:
        stored = _redis_client().get(_down_since_key(endpoint))
        recorded = datetime.fromisoformat(stored.decode()) if stored else None
    return recorded or _storages[endpoint].opened_at


def breaker_reset(endpoint: str) -> None:
    breaker_for(endpoint).close()
