"""How many chains a worker process keeps in flight against each build, and who goes next.

A chain makes one model call at a time, so chains in flight bound the calls in flight.
Each build has ``max_concurrency`` slots per worker process; work that waits for a slot
goes in priority order (live before batch, then the model-task registry's priority), ties
in arrival order. A slot is taken per chain, not per chunk of work: the next chain starts
the moment any one ends, so a slow chain never idles the others.
"""

import heapq
import itertools
import threading
import time
from dataclasses import dataclass

from engines.model_tasks import ModelTask
from engines.models import EngineBuild, default_concurrency

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


class Slots:
    """A counting semaphore whose waiters are served lowest priority first."""

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

    def release(self) -> None:
        with self._changed:
            self.in_use -= 1
            self._changed.notify_all()

    def resize(self, size: int) -> None:
        with self._changed:
            self.size = size
            self._changed.notify_all()


_slots: dict[str, tuple[Slots, float]] = {}
_slots_lock = threading.Lock()


def build_concurrency(engine_id: str) -> int:
    build = EngineBuild.objects.filter(engine_id=engine_id).only("engine_id", "max_concurrency")
    found = build.first()
    return found.concurrency if found else default_concurrency(engine_id)


def slots_for(engine_id: str) -> Slots:
    """This process's slots for a build, sized by its ``max_concurrency``."""
    with _slots_lock:
        slots, read_at = _slots.get(engine_id, (None, 0.0))
        if slots is not None and time.monotonic() - read_at < REFRESH_SECONDS:
            return slots
    size = build_concurrency(engine_id)
    with _slots_lock:
        slots, _ = _slots.get(engine_id, (None, 0.0))
        if slots is None:
            slots = Slots(size)
        elif slots.size != size:
            slots.resize(size)
        _slots[engine_id] = (slots, time.monotonic())
        return slots


def slots_reset() -> None:
    """Forgets the slots of this process (tests; a limit is otherwise re-read)."""
    with _slots_lock:
        _slots.clear()
