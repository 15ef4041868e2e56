"""Bulk data for benchmarks: threads, messages with their decisions, drafts, via COPY.

Rows go straight into PostgreSQL with COPY (about a minute for a million messages on
two cores). Ids are derived from row numbers, so decisions and drafts find their
message and thread without holding a million ids in memory. Every message gets its
decision, as the pipeline guarantees.
"""

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, models

from builder.taxonomy import Archetype, ThreadState
from core.clock import now
from engines.holds import HoldReason
from prospects.deciding.next_action import NEXT_ACTION
from prospects.models import Decision, Draft, InboundMessage, Mode, Thread

SEED_PREFIX = "seed-"
SPREAD = timedelta(days=90)
_MOVES = [move for move, state in NEXT_ACTION if state == "*"]
_BODIES = [
    "Hi! Are you free this weekend?",
    "Could we do Thursday evening, around 8?",
    "What's the rate for two hours?",
    "Thanks, see you then!",
    "Is the west side ok for you?",
]
# Per 20 drafts: held for review, sent, approved waiting for the bridge, rejected.
_STATUSES = (
    [Draft.Status.HELD] * 4
    + [Draft.Status.SENT] * 12
    + [Draft.Status.APPROVED]
    + [Draft.Status.REJECTED] * 3
)


def _uid(kind: int, number: int) -> uuid.UUID:
    return uuid.UUID(int=(kind << 120) | number)


THREAD, MESSAGE, DECISION, DRAFT = 1, 2, 3, 4


def _default(field: models.Field):
    """What Django would store for an omitted field ("" for text, None when nullable)."""
    value = field.get_default()
    return json.dumps(value) if isinstance(field, models.JSONField) else value


def copy_rows(model: type[models.Model], rows: Iterable[dict]) -> int:
    """COPYs ``rows`` (attname -> value; others take the field default) into the table."""
    fields = model._meta.concrete_fields
    defaults = {field.attname: _default(field) for field in fields}
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    count = 0
    with connection.cursor() as cursor, cursor.connection.cursor() as raw:
        table = connection.ops.quote_name(model._meta.db_table)
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [row.get(field.attname, defaults[field.attname]) for field in fields]
                )
                count += 1
    return count


@dataclass(frozen=True)
class SeedPlan:
    threads: int
    messages: int
    drafts: int
    start: datetime

    def message_time(self, number: int) -> datetime:
        """Messages arrive evenly over the SPREAD before now."""
        return self.start + SPREAD * (number / self.messages)


def _threads(plan: SeedPlan):
    archetypes = Archetype.values
    for number in range(plan.threads):
        last = max(number, plan.messages - plan.threads + number)
        yield {
            "id": _uid(THREAD, number),
            "handle": f"{SEED_PREFIX}{number}",
            "archetype": archetypes[number % len(archetypes)],
            "state": ThreadState.ENGAGED,
            "created_at": plan.message_time(number),
            "last_message_at": plan.message_time(min(last, plan.messages - 1)),
        }


def _messages(plan: SeedPlan):
    for number in range(plan.messages):
        yield {
            "id": _uid(MESSAGE, number),
            "thread_id": _uid(THREAD, number % plan.threads),
            "external_id": f"{SEED_PREFIX}{number}",
            "sender": f"Client {number % plan.threads}",
            "body": _BODIES[number % len(_BODIES)],
            "received_at": plan.message_time(number),
            "created_at": plan.message_time(number),
        }


def _decisions(plan: SeedPlan):
    archetypes = Archetype.values
    for number in range(plan.messages):
        move = _MOVES[number % len(_MOVES)]
        yield {
            "id": _uid(DECISION, number),
            "message_id": _uid(MESSAGE, number),
            "thread_id": _uid(THREAD, number % plan.threads),
            "is_prospect": move not in {"existing_client", "personal", "vendor", "spam"},
            "move": move,
            "archetype": archetypes[(number % plan.threads) % len(archetypes)],
            "state": ThreadState.ENGAGED,
            "template_key": NEXT_ACTION[(move, "*")] or "",
            "mode": Mode.REVIEW,
            "engine_id": "template",
            "created_at": plan.message_time(number),
        }


def _drafted_messages(plan: SeedPlan):
    """The messages that get a draft: spread evenly; a spam message (no reply) hands its
    draft to the next message, which is never spam."""
    step = max(plan.messages // max(plan.drafts, 1), 1)
    for index in range(plan.drafts):
        number = index * step
        if not NEXT_ACTION[(_MOVES[number % len(_MOVES)], "*")]:
            number += 1
        yield min(number, plan.messages - 1)


def _drafts(plan: SeedPlan):
    for index, number in enumerate(_drafted_messages(plan)):
        status = _STATUSES[index % len(_STATUSES)]
        created = plan.message_time(number)
        held = status == Draft.Status.HELD
        yield {
            "id": _uid(DRAFT, index),
            "decision_id": _uid(DECISION, number),
            "thread_id": _uid(THREAD, number % plan.threads),
            "body": "Lovely to hear from you! Which day suits you best?",
            "status": status,
            "hold_reason": HoldReason.REVIEW_MODE if held else "",
            "engine_id": "template",
            "created_at": created,
            "updated_at": created,
            "reviewed_at": None if held else created + timedelta(minutes=20),
            "sent_at": created + timedelta(minutes=21) if status == Draft.Status.SENT else None,
        }


def seed_scale(*, threads: int, messages: int, drafts: int) -> dict:
    """Inserts the rows and refreshes planner statistics. Raises ``ValueError`` when the
    database was seeded already or the numbers do not fit together."""
    if threads < 1 or messages < threads or drafts > messages:
        raise ValueError("Need threads >= 1, messages >= threads and drafts <= messages.")
    if InboundMessage.objects.filter(external_id=f"{SEED_PREFIX}0").exists():
        raise ValueError("This database is seeded already.")
    plan = SeedPlan(threads=threads, messages=messages, drafts=drafts, start=now() - SPREAD)
    counts = {
        "threads": copy_rows(Thread, _threads(plan)),
        "messages": copy_rows(InboundMessage, _messages(plan)),
        "decisions": copy_rows(Decision, _decisions(plan)),
        "drafts": copy_rows(Draft, _drafts(plan)),
    }
    with connection.cursor() as cursor:
        for model in (Thread, InboundMessage, Decision, Draft):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return counts
