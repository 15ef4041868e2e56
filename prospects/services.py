"""Writes on drafts and pipeline settings. Views, the API and tasks all call these."""

from django.core.exceptions import ValidationError
from django.db import transaction

from engines.clock import now
from engines.selectors import engine_id_problem
from prospects.models import Draft, PipelineSettings
from prospects.selectors import pipeline_settings
from prospects.tasks import dispatch_draft
from prospects.transitions import draft_transition


class DraftConflict(Exception):
    """The draft is no longer in a state that allows the action (someone got there first)."""

    def __init__(self, draft: Draft):
        super().__init__(f"The draft is already {draft.status}.")
        self.draft = draft


def draft_approve(*, draft_id, user) -> Draft:
    """Approves a held draft and enqueues its dispatch once the approval is committed.

    Raises ``DraftConflict`` when the draft is not held any more (already acted on).
    """
    draft = draft_transition(
        draft_id,
        allowed_from=[Draft.Status.HELD],
        user=user,
        reason="approve",
        status=Draft.Status.APPROVED,
        hold_reason="",
        hold_detail="",
        reviewed_by=user,
        reviewed_at=now(),
        dispatch_claimed_at=None,
    )
    if draft is None:
        raise DraftConflict(Draft.objects.get(id=draft_id))
    transaction.on_commit(lambda: dispatch_draft.delay(str(draft.id)))
    return draft


def draft_reject(*, draft_id, user) -> Draft:
    """Rejects a held draft. Raises ``DraftConflict`` when it is not held any more."""
    draft = draft_transition(
        draft_id,
        allowed_from=[Draft.Status.HELD],
        user=user,
        reason="reject",
        status=Draft.Status.REJECTED,
        reviewed_by=user,
        reviewed_at=now(),
    )
    if draft is None:
        raise DraftConflict(Draft.objects.get(id=draft_id))
    return draft


@transaction.atomic
def draft_engine_set(*, engine_id: str, user) -> PipelineSettings:
    """Makes ``engine_id`` the active draft engine; kept in history with who and when.

    Raises ``ValidationError`` (field ``draft_engine``) for a malformed id or a model build
    missing from the engine-build registry.
    """
    if problem := engine_id_problem(engine_id):
        raise ValidationError({"draft_engine": problem})
    row = pipeline_settings()
    row = PipelineSettings.objects.select_for_update().get(id=row.id)
    row.draft_engine = engine_id
    row._history_user = user
    row.save()
    return row
