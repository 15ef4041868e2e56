"""How many chains are in flight against each build, and who goes next.

A chain makes one model call at a time, so chains in flight bound the calls in flight.
Each build has ``max_concurrency`` slots for every worker process on every host together
(leases in Redis, ``engines.slot_leases``; the zero-service demo runs one worker process
and counts them in memory). Work that waits for a slot goes in priority order (live
before batch, then the model-task registry's priority), ties in arrival order. A slot is
taken per chain, not per chunk of work: the next chain starts the moment any one ends, so
a slow chain never idles the others.
"""

import heapq
import itertools
import threading
import time
from dataclasses import dataclass

from django.conf import settings

from engines.model_tasks import ModelTask
from engines.models import EngineBuild, default_concurrency
from engines.slot_leases import lease_give_back, lease_take, leases_in_use, leases_waiting

# A build's limit is read again after this long, so an edit on the build page reaches
# running workers without a restart.
REFRESH_SECONDS = 10.0


@dataclass(frozen=True, order=True)
class Priority:
    lane: int  # 0: live (a person waits), 1: batch
    task: int  # the model task's registry priority: lower first

    @classmethod
    def of(cls, *, live: bool, task: ModelTask) -> "Priority":
        return cls(0 if live else 1, task.priority)

    @property
    def rank(self) -> int:
        """One number in the same order (registry priorities stay under 100), for a line
        kept outside this process."""
        return self.lane * 100 + self.task


class Slots:
    """A counting semaphore whose waiters are served lowest priority first, in this
    process. ``acquire`` returns the token that ``release`` takes (none here)."""

    def __init__(self, size: int):
        self.size = size
        self.in_use = 0
        self._waiting: list[tuple[Priority, int]] = []
        self._arrivals = itertools.count()
        self._changed = threading.Condition()

    def acquire(self, priority: Priority) -> None:
        with self._changed:
            ticket = (priority, next(self._arrivals))
            heapq.heappush(self._waiting, ticket)
            try:
                while self._waiting[0] != ticket or self.in_use >= self.size:
                    self._changed.wait()
            except BaseException:
                self._waiting.remove(ticket)
                heapq.heapify(self._waiting)
                self._changed.notify_all()
                raise
            heapq.heappop(self._waiting)
            self.in_use += 1
            # The next in line may fit too (after a resize, or several releases at once).
            self._changed.notify_all()

    @property
    def waiting(self) -> int:
        with self._changed:
            return len(self._waiting)

    def release(self, token: None = None) -> None:
        with self._changed:
            self.in_use -= 1
            self._changed.notify_all()

    def resize(self, size: int) -> None:
        with self._changed:
            self.size = size
            self._changed.notify_all()


class SharedSlots:
    """A build's slots for every process on every host: each slot taken is a lease that
    its process renews, so a dead worker's slots come free within one lease."""

    def __init__(self, engine_id: str, size: int):
        self.engine_id = engine_id
        self.size = size

    def acquire(self, priority: Priority) -> str:
        return lease_take(self.engine_id, limit=self.size, rank=priority.rank)

    def release(self, token: str) -> None:
        lease_give_back(self.engine_id, token)

    def resize(self, size: int) -> None:
        # The next chain to ask waits under the new limit; chains in flight run on.
        self.size = size

    @property
    def in_use(self) -> int:
        return leases_in_use(self.engine_id)

    @property
    def waiting(self) -> int:
        return leases_waiting(self.engine_id)


_slots: dict[str, tuple[Slots | SharedSlots, float]] = {}
_slots_lock = threading.Lock()


def build_concurrency(engine_id: str) -> int:
    build = EngineBuild.objects.filter(engine_id=engine_id).only("engine_id", "max_concurrency")
    found = build.first()
    return found.concurrency if found else default_concurrency(engine_id)


def slots_for(engine_id: str) -> Slots | SharedSlots:
    """A build's slots, sized by its ``max_concurrency``: shared by every process when
    ``ENGINE_SLOTS_REDIS_URL`` is set, else this process's own."""
    with _slots_lock:
        slots, read_at = _slots.get(engine_id, (None, 0.0))
        if slots is not None and time.monotonic() - read_at < REFRESH_SECONDS:
            return slots
    size = build_concurrency(engine_id)
    with _slots_lock:
        slots, _ = _slots.get(engine_id, (None, 0.0))
        if slots is None:
            slots = SharedSlots(engine_id, size) if settings.ENGINE_SLOTS_REDIS_URL else Slots(size)
        elif slots.size != size:
            slots.resize(size)
        _slots[engine_id] = (slots, time.monotonic())
        return slots


def slots_reset() -> None:
    """Forgets the slots of this process (tests; a limit is otherwise re-read)."""
    with _slots_lock:
        _slots.clear()
