"""Queueing live work: a message's `queued` draft and the item that drafts it, enqueued once
the caller's transaction commits."""

from django.db import transaction

from core.api_errors import StateConflict
from core.clock import now
from prospects.models import (
    Decision,
    Draft,
    DraftJobItem,
)
from prospects.work_queue import items_enqueue


def live_draft_queue(decision: Decision) -> Draft:
    """A `queued` placeholder draft and the live work item that drafts it; the item is
    enqueued once the caller's transaction commits."""
    item = live_item_create(decision)
    draft = Draft.objects.create(
        decision=decision,
        thread=decision.thread,
        status=Draft.Status.QUEUED,
        engine_id=decision.engine_id,
        experiment_arm=decision.experiment_arm,
        job_item=item,
    )
    return draft


def live_item_create(decision: Decision) -> DraftJobItem:
    """The live work item that drafts ``decision`` on its engine, enqueued once the
    caller's transaction commits."""
    item = DraftJobItem.objects.create(
        thread_id=decision.thread_id,
        decision=decision,
        engine_id=decision.engine_id,
        enqueued_at=now(),
    )
    transaction.on_commit(lambda: items_enqueue([item]))
    return item


def draft_again(*, draft_id, user) -> Draft:
    """Queues a held draft that has no body (its engine gave none) for the worker again:
    the same row goes back to `queued` with a new live item. Raises ``StateConflict``
    when the draft has a body or is not held."""
    with transaction.atomic():
        draft = Draft.objects.select_for_update().select_related("decision").get(id=draft_id)
        if draft.status != Draft.Status.HELD or draft.body.strip():
            raise StateConflict({"draft": "Only a held draft with no body can be drafted again."})
        item = live_item_create(draft.decision)
        draft.status, draft.hold_reason, draft.hold_detail = Draft.Status.QUEUED, "", ""
        draft.gate_failed, draft.job_item, draft.engine_id = [], item, item.engine_id
        draft.review_claimed_by, draft.review_claimed_until = None, None
        draft._history_user, draft._change_reason = user, "draft again"
        draft.save()
    return draft
