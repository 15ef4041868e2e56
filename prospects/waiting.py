"""Why a queued draft waits, and how long live work waits for its engine.

The worker and the pages read the same ``engine_wait``: what holds a draft back is what
the draft says holds it back.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from core.clock import now
from engines.holds import HoldReason, WaitReason
from engines.ids import Provider, parse_engine_id
from engines.selectors import EngineWait, engine_wait
from prospects.models import Draft, DraftJobItem


@dataclass(frozen=True)
class GiveUp:
    """Why live work stops waiting for its engine: held with this reason and detail (or
    drafted by the template engine, when the pipeline settings say to fall back)."""

    reason: HoldReason
    detail: str


def live_wait_over(*, engine_id: str, created_at: datetime, wait: EngineWait) -> GiveUp | None:
    """Whether a live draft has waited long enough for its engine: an always-on endpoint
    build whose breaker has been open ENDPOINT_DOWN_HOLD_SECONDS (nothing is bringing it
    back), or any engine after LIVE_DRAFT_MAX_WAIT_SECONDS (an on-demand GPU that is
    starting gets this longer wait). None: it waits on."""
    moment = now()
    down_limit = timedelta(seconds=settings.ENDPOINT_DOWN_HOLD_SECONDS)
    if (
        parse_engine_id(engine_id).provider == Provider.ENDPOINT
        and wait.reason == WaitReason.BREAKER_OPEN
        and wait.since is not None
        and moment - wait.since >= down_limit
    ):
        return GiveUp(HoldReason.BREAKER_OPEN, wait.detail)
    if moment - created_at >= timedelta(seconds=settings.LIVE_DRAFT_MAX_WAIT_SECONDS):
        waited = settings.LIVE_DRAFT_MAX_WAIT_SECONDS
        return GiveUp(
            HoldReason.ENGINE_UNAVAILABLE,
            f"{engine_id} was not ready within {waited:g} s. {wait.detail}",
        )
    return None


@dataclass(frozen=True)
class Waiting:
    """What a queued draft shows: why it is not drafted yet, since when, and how many live
    drafts for its engine are ahead of it, plus one (1: next)."""

    reason: WaitReason
    detail: str
    since: datetime | None
    position: int


class WaitingReader:
    """Reads why queued drafts wait; each engine's state and line are read once however
    many of its drafts are asked about (a list of drafts costs no query per row)."""

    def __init__(self):
        self._engines: dict[str, tuple[EngineWait | None, dict]] = {}

    def for_draft(self, draft: Draft) -> Waiting | None:
        """None unless the draft is queued."""
        if draft.status != Draft.Status.QUEUED or draft.job_item_id is None:
            return None
        wait, line = self._engine(draft.engine_id)
        item = line.get(draft.job_item_id)
        if item is None:
            # Not in line: finished or moved since the draft was read.
            return None
        status, created_at, position = item
        if status == DraftJobItem.Status.RUNNING:
            return Waiting(WaitReason.DRAFTING, "A worker is drafting it now.", None, 0)
        if wait is not None:
            return Waiting(wait.reason, wait.detail, wait.since, position)
        ahead = position - 1
        detail = (
            f"{ahead} live draft{'s' if ahead != 1 else ''} for {draft.engine_id} "
            f"{'are' if ahead != 1 else 'is'} ahead of it."
        )
        return Waiting(WaitReason.IN_LINE, detail, created_at, position)

    def _engine(self, engine_id: str) -> tuple[EngineWait | None, dict]:
        if engine_id not in self._engines:
            self._engines[engine_id] = (engine_wait(engine_id), _live_line(engine_id))
        return self._engines[engine_id]


def _live_line(engine_id: str) -> dict:
    """The engine's live work not finished, oldest first: item id -> (status, arrival,
    place among those not started, from 1; 0 for a running one)."""
    rows = (
        DraftJobItem.objects.filter(
            job__isnull=True, engine_id=engine_id, status__in=DraftJobItem.PENDING
        )
        .order_by("created_at", "id")
        .values_list("id", "status", "created_at")
    )
    line, place = {}, 0
    for item_id, status, created_at in rows:
        started = status == DraftJobItem.Status.RUNNING
        place += not started
        line[item_id] = (status, created_at, 0 if started else place)
    return line
