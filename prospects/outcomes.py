"""A thread's outcome: booked, declined, no reply or blocked.

``outcome_record`` is the one write every path takes: the thread page, the API (the bridge
or a CRM) and the no-reply sweep. Each outcome is attributed to the drafts sent in the
thread before it, with the workflow version, engine build and experiment arm that produced
them, so bookings can be scored per version, build and arm.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef

from core.clock import now
from prospects.events.services import thread_outcome_emit
from prospects.models import (
    STATE_AFTER_OUTCOME,
    Draft,
    Outcome,
    OutcomeAttribution,
    Thread,
    ThreadOutcome,
)


@dataclass(frozen=True)
class Recorded:
    outcome: ThreadOutcome
    created: bool


def outcome_latest(thread_id) -> ThreadOutcome | None:
    return (
        ThreadOutcome.objects.filter(thread_id=thread_id)
        .select_related("recorded_by")
        .order_by("-recorded_at")
        .first()
    )


def outcome_record(*, thread: Thread, outcome: str, user, source: str, note: str = "") -> Recorded:
    """Records ``outcome`` for ``thread`` and moves the thread's state (booked to Booked,
    the others to Closed).

    Guarantees: an unknown outcome raises ``ValidationError`` on the ``outcome`` field
    and writes nothing; the same outcome as the thread's latest writes nothing and returns
    it (``created=False``); a new outcome is attributed to every draft sent in the thread
    until now, copying each draft's workflow version, engine build and experiment arm.
    """
    if outcome not in Outcome.values:
        raise ValidationError(
            {"outcome": f"'{outcome}' is not an outcome: {', '.join(Outcome.values)}."}
        )
    if source not in ThreadOutcome.Source.values:
        raise ValidationError({"source": f"'{source}' is not a source."})
    with transaction.atomic():
        # Two reports at once: the second waits here and then finds the first.
        thread = Thread.objects.select_for_update().get(id=thread.id)
        latest = outcome_latest(thread.id)
        if latest is not None and latest.outcome == outcome:
            return Recorded(outcome=latest, created=False)
        recorded = ThreadOutcome(
            thread=thread,
            outcome=outcome,
            source=source,
            note=note,
            recorded_by=user if user is not None and user.is_authenticated else None,
            recorded_at=now(),
        )
        recorded.full_clean()
        recorded.save()
        sent = Draft.objects.filter(
            thread=thread, status=Draft.Status.SENT, sent_at__lte=recorded.recorded_at
        )
        OutcomeAttribution.objects.bulk_create(
            OutcomeAttribution(
                outcome=recorded,
                draft=draft,
                workflow_version_id=draft.workflow_version_id,
                engine_id=draft.engine_id,
                experiment_arm=draft.experiment_arm,
            )
            for draft in sent
        )
        thread.state = STATE_AFTER_OUTCOME[outcome]
        thread.save(update_fields=["state"])
        thread_outcome_emit(
            thread=thread,
            outcome=outcome,
            recorded_at=recorded.recorded_at,
            source=source,
            draft_ids=[str(draft.id) for draft in sent],
        )
    return Recorded(outcome=recorded, created=True)


def threads_without_reply(*, at=None):
    """Threads that had a reply sent, no inbound message for ``NO_REPLY_DAYS`` and no
    outcome yet."""
    cutoff = (at or now()) - timedelta(days=settings.NO_REPLY_DAYS)
    return (
        Thread.objects.annotate(last_inbound=Max("messages__received_at"))
        .filter(last_inbound__lt=cutoff)
        .filter(Exists(Draft.objects.filter(thread=OuterRef("pk"), status=Draft.Status.SENT)))
        .exclude(Exists(ThreadOutcome.objects.filter(thread=OuterRef("pk"))))
        .order_by("last_inbound")
    )


def outcomes_sweep_no_reply() -> int:
    """Records ``no_reply`` (source ``sweep``) for every thread ``threads_without_reply``
    finds; returns how many. Safe to run twice at once: ``outcome_record`` locks the
    thread and a second ``no_reply`` is no new row."""
    recorded = 0
    for thread in threads_without_reply():
        result = outcome_record(
            thread=thread, outcome=Outcome.NO_REPLY, user=None, source=ThreadOutcome.Source.SWEEP
        )
        recorded += result.created
    return recorded
