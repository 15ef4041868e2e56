"""Ingest, at HTTP time: an inbound message, its decision and its queued draft, in one
transaction; the worker drafts (``prospects.drafting``). No model server is called here."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction

from builder.taxonomy import Archetype
from core.untrusted import strip_invisible
from prospects.deciding.classify import classify_at_ingest, runs_at_ingest
from prospects.deciding.decide import decision_decide
from prospects.deciding.safety import safety_findings
from prospects.deciding.safety_memory import safety_cues_record
from prospects.drafting.pace import time_zone_from_phone
from prospects.drafting.queue import live_draft_queue, live_item_create
from prospects.models import (
    Decision,
    Draft,
    InboundMessage,
    Thread,
)
from prospects.selectors import pipeline_settings


@dataclass(frozen=True)
class Inbound:
    external_id: str
    thread: str
    sender: str
    body: str
    received_at: datetime
    archetype: str | None = None
    metadata: dict = field(default_factory=dict)
    time_zone: str = ""  # IANA; "" reads the sender's phone number, else the default


@dataclass(frozen=True)
class IngestResult:
    message: InboundMessage
    decision: Decision
    draft: Draft | None
    created: bool


def inbound_ingest(*, inbound: Inbound) -> IngestResult:
    """Stores an inbound message, decides it with the fast rules and queues its reply.

    Guarantees: the message, its decision and (when there is a reply to draft) a `queued`
    draft with its live work item commit in one transaction, so a crash loses nothing and
    never leaves a decision without its draft (with a LoRA move head configured, a message
    the rules leave unanswered gets a live item too: the head decides it again on the
    worker); the worker drafts after the commit, and the sweeper enqueues again what made
    no progress. One message and one decision per external id whatever the concurrency (a
    duplicate answers ``created=False``). No model server is called here: this runs inside
    HTTP requests. The decision is the rules', or an in-process linear head's when that is
    the live classifier (a few hundred microseconds on the CPU).
    """
    try:
        with transaction.atomic():
            message = _record_message(inbound)
            decision = _record_decision(message, inbound)
            draft = live_draft_queue(decision) if decision.template_key else None
            if draft is None and not runs_at_ingest(pipeline_settings().classifier_engine):
                # The rules see no reply to draft; the classifier build may, on the worker.
                live_item_create(decision)
    except IntegrityError:
        # A duplicate: the message is there already (or a concurrent ingest committed it
        # first). Inserting and failing costs less than asking first for every new one.
        return _existing_result(InboundMessage.objects.get(external_id=inbound.external_id))
    return IngestResult(message=message, decision=decision, draft=draft, created=True)


def _record_message(inbound: Inbound) -> InboundMessage:
    """The message, in its thread; the thread is locked until the transaction ends (the
    decision reads and moves its state)."""
    thread, _ = Thread.objects.select_for_update().get_or_create(
        handle=inbound.thread,
        defaults={
            "archetype": inbound.archetype or Archetype.NEW_CONTACT,
            "last_message_at": inbound.received_at,
        },
    )
    _thread_time_zone(thread, inbound)
    body = strip_invisible(inbound.body)
    return InboundMessage.objects.create(
        thread=thread,
        external_id=inbound.external_id,
        sender=inbound.sender,
        body=body.text,
        invisible_removed=body.removed,
        original_body=inbound.body if body.removed else "",
        received_at=inbound.received_at,
        metadata=inbound.metadata,
    )


def _thread_time_zone(thread: Thread, inbound: Inbound) -> None:
    """A zone given at ingest wins; a thread with none takes the one its sender's phone
    number is from (or its handle's, for a bridge that keys threads by number). Parsing a
    number takes microseconds and asks nothing outside the process."""
    zone = inbound.time_zone
    if not zone and not thread.time_zone:
        zone = time_zone_from_phone(inbound.sender) or time_zone_from_phone(inbound.thread)
    if zone and zone != thread.time_zone:
        thread.time_zone = zone
        thread.save(update_fields=["time_zone"])


def _existing_result(message: InboundMessage) -> IngestResult:
    decision = Decision.objects.select_related("message", "thread").get(message=message)
    return IngestResult(
        message=message, decision=decision, draft=decision.drafts.first(), created=False
    )


def _record_decision(message: InboundMessage, inbound: Inbound) -> Decision:
    thread = message.thread
    if inbound.archetype:
        thread.archetype = inbound.archetype
    state = thread.state
    decision = Decision(message=message, thread=thread, archetype=thread.archetype, state=state)
    classification = classify_at_ingest(
        message.body, thread_state=state, classifier=pipeline_settings().classifier_engine
    )
    next_state = decision_decide(decision, classification)
    decision.save()
    safety_cues_record(message, safety_findings(message.body))
    thread.state = next_state
    if inbound.received_at > thread.last_message_at:
        thread.last_message_at = inbound.received_at
    thread.save()
    return decision
