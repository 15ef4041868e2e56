"""A thread's safety memory: once any of its messages trips a safety rule, the thread is
person-only. Every later reply in it is held for a person, never sent without review,
until an admin clears the thread with a reason (kept, with the cues' history)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from core.clock import now
from core.history import change_reason
from prospects.deciding.safety import SafetyFinding
from prospects.models import InboundMessage, SafetyCue

MAX_WORDS = 200


def safety_cues_record(message: InboundMessage, findings: tuple[SafetyFinding, ...]) -> None:
    """Remembers what ``message`` tripped; runs in the ingest's transaction."""
    SafetyCue.objects.bulk_create(
        [
            SafetyCue(
                thread_id=message.thread_id,
                message=message,
                category=finding.category,
                words=finding.words[:MAX_WORDS],
                created_at=message.received_at,
            )
            for finding in findings
        ],
        ignore_conflicts=True,
    )


def open_safety_cues(thread_id) -> list[SafetyCue]:
    """The thread's cues no admin has cleared, oldest first."""
    return list(
        SafetyCue.objects.filter(thread_id=thread_id, cleared_at=None).select_related("message")
    )


def remembered_safety(thread_id, *, besides_message_id) -> str:
    """What the thread's other messages tripped and no admin has cleared, in one line for
    a hold's detail; "" for nothing. The message's own cues are its ``safety_terms``."""
    cues = SafetyCue.objects.filter(thread_id=thread_id, cleared_at=None).exclude(
        message_id=besides_message_id
    )
    return "; ".join(
        f"{cue.category}: '{cue.words}' ({cue.created_at:%Y-%m-%d %H:%M})" for cue in cues
    )


def safety_memory_clear(*, thread_id, user, reason: str) -> int:
    """Clears every open cue of the thread, recording who and why; returns how many.
    Only an admin may call it (the view and the API check the role)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say in a line why this thread is safe to answer again."})
    with transaction.atomic():
        cues = list(
            SafetyCue.objects.select_for_update().filter(thread_id=thread_id, cleared_at=None)
        )
        for cue in cues:
            cue.cleared_at = now()
            cue.cleared_by = user
            cue.clear_reason = reason
            cue._change_reason = change_reason(f"cleared: {reason}")
            cue.save(update_fields=["cleared_at", "cleared_by", "clear_reason"])
    return len(cues)
