"""One budget of slots per build for every worker process on every host, kept in Redis.

A slot is a lease: a member of the build's ``held`` sorted set scored by when it expires
(Redis's own clock, so hosts need not agree on the time). A holder's process renews its
leases every third of ``ENGINE_SLOT_LEASE_SECONDS``; a process that dies stops renewing,
and its slots come free within one lease. Waiters line up in the build's ``line`` sorted
set by priority, then arrival, so live work goes first across processes too; a waiter
that stops asking (its process died) drops out of the line after one lease.
"""

import logging
import os
import threading
import time
import uuid
from functools import cache

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

# How often a waiter asks again: well under a model call, so a freed slot idles briefly.
POLL_SECONDS = 0.02

# KEYS: held, line, seen. ARGV: limit, lease ms, token, priority base.
# The line's score is the priority base plus the arrival time in ms, kept from the first
# ask (NX); ``seen`` scores each waiter by when it stops counting as waiting.
_TAKE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for _, waiter in ipairs(gone) do
  redis.call('ZREM', KEYS[2], waiter)
  redis.call('ZREM', KEYS[3], waiter)
end
redis.call('ZADD', KEYS[2], 'NX', tonumber(ARGV[4]) + now, ARGV[3])
redis.call('ZADD', KEYS[3], now + lease, ARGV[3])
local free = tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[1])
if free > 0 and redis.call('ZRANK', KEYS[2], ARGV[3]) < free then
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('ZREM', KEYS[3], ARGV[3])
  redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
  return 1
end
return 0
"""

# KEYS: held. ARGV: lease ms, tokens... Renews the leases still held; returns the others.
_RENEW = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local lost = {}
for i = 2, #ARGV do
  local expires = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if expires and tonumber(expires) > now then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i])
  else
    table.insert(lost, ARGV[i])
  end
end
return lost
"""

# KEYS: held. The leases not expired yet.
_COUNT = """
local t = redis.call('TIME')
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t[1] * 1000 + math.floor(t[2] / 1000))
return redis.call('ZCARD', KEYS[1])
"""


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.ENGINE_SLOTS_REDIS_URL, socket_timeout=5)


@cache
def _script(source: str):
    # Sent once, then called by its hash: a waiter asks every POLL_SECONDS.
    return _client().register_script(source)


def _keys(engine_id: str) -> list[str]:
    base = f"prospector:slots:{engine_id}"
    return [f"{base}:held", f"{base}:line", f"{base}:seen"]


def _lease_ms() -> int:
    return round(settings.ENGINE_SLOT_LEASE_SECONDS * 1000)


def lease_take(engine_id: str, *, limit: int, rank: int) -> str:
    """Waits in line for one of the build's ``limit`` slots; returns the lease's token.
    ``rank`` orders waiters (lower first; arrival breaks ties). Its process renews the
    lease until ``lease_give_back``."""
    token = uuid.uuid4().hex
    keys = _keys(engine_id)
    # Arrival times in ms stay under 1e13 for centuries; the rank sits above them, and
    # the sum stays within a double's exact integers (ranks are under 200).
    args = [limit, _lease_ms(), token, rank * 10**13]
    try:
        while not _script(_TAKE)(keys=keys, args=args):
            time.sleep(POLL_SECONDS)
    except BaseException:
        _client().zrem(keys[1], token)
        _client().zrem(keys[2], token)
        raise
    _renewals.hold(keys[0], token)
    return token


def lease_give_back(engine_id: str, token: str) -> None:
    held = _keys(engine_id)[0]
    _renewals.drop(held, token)
    _client().zrem(held, token)


def leases_in_use(engine_id: str) -> int:
    """The build's slots held now, by every process."""
    held = _keys(engine_id)[0]
    return _script(_COUNT)(keys=[held])


def leases_waiting(engine_id: str) -> int:
    """How many chains wait in line for the build's slots, in every process."""
    return _client().zcard(_keys(engine_id)[1])


class _Renewals:
    """This process's leases, renewed by one daemon thread (started again after a fork)."""

    def __init__(self):
        self._held: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self._pid = 0

    def hold(self, key: str, token: str) -> None:
        with self._lock:
            if self._pid != os.getpid():
                # A forked child inherits the parent's leases but not its thread.
                self._held = {}
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="slot-leases", daemon=True).start()
            self._held.setdefault(key, set()).add(token)

    def drop(self, key: str, token: str) -> None:
        with self._lock:
            self._held.get(key, set()).discard(token)

    def _run(self) -> None:
        while True:
            time.sleep(settings.ENGINE_SLOT_LEASE_SECONDS / 3)
            with self._lock:
                held = {key: list(tokens) for key, tokens in self._held.items() if tokens}
            for key, tokens in held.items():
                try:
                    lost = _script(_RENEW)(keys=[key], args=[_lease_ms(), *tokens])
                except redis.RedisError:
                    logger.exception("could not renew the slot leases of %s", key)
                    continue
                if lost:
                    # Not renewed in time (the process stalled): the build may now run
                    # more chains than its limit until these end. Said once, not renewed.
                    logger.warning("%d slot leases of %s had expired", len(lost), key)
                for token in lost:
                    self.drop(key, token.decode())


_renewals = _Renewals()
