"""The engine switch: which engine drafts replies, which decides moves, and how sure the
classifier must be before a draft may go out without a person; kept in history.

Promoting a build through its promotion gate lives in prospects/builds/promotion.py."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_update_with_history

from core.clock import now
from engines.gpu.selectors import serving_outlook
from engines.models import AdapterHead, EngineBuild
from engines.selectors import engine_id_problem
from prospects.models import RULES, Decision, Draft, DraftJobItem, PipelineSettings
from prospects.selectors import pipeline_settings
from prospects.work_queue import ITEM_ROUTE, items_enqueue


@transaction.atomic
def draft_engine_set(*, engine_id: str, user) -> PipelineSettings:
    """Makes ``engine_id`` the active draft engine; kept in history with who and when.
    Live drafts not started yet move to it with the switch.

    Raises ``ValidationError`` (field ``draft_engine``) for a malformed id, a model build
    missing from the engine-build registry, or a classifier build (it decides moves).
    """
    if problem := engine_id_problem(engine_id):
        raise ValidationError({"draft_engine": problem})
    if build_head(engine_id) == AdapterHead.CLASSIFIER:
        raise ValidationError(
            {"draft_engine": f"'{engine_id}' is a classifier build: set it as the classifier."}
        )
    row = pipeline_settings()
    row = PipelineSettings.objects.select_for_update().get(id=row.id)
    row.draft_engine = engine_id
    row._history_user = user
    row.save()
    _queued_drafts_move(engine_id=engine_id, user=user)
    return row


@dataclass(frozen=True)
class SwitchOutlook:
    """What the confirmation of a draft-engine switch says: whether the engine can draft
    now, whether it can at all as this install is set up, why, and the queued live drafts
    that move to it and that would wait for it."""

    now: bool
    ever: bool
    why: str
    moving: int
    waiting: int  # the moving ones, and those already queued for it

    @property
    def can_never_run(self) -> bool:
        return not self.ever


def draft_engine_outlook(engine_id: str) -> SwitchOutlook:
    outlook = serving_outlook(engine_id)
    moving = DraftJobItem.objects.moving_to(engine_id).count()
    already = DraftJobItem.objects.filter(
        job__isnull=True,
        engine_id=engine_id,
        status__in=[DraftJobItem.Status.QUEUED, DraftJobItem.Status.WAITING],
    ).count()
    return SwitchOutlook(
        now=outlook.now, ever=outlook.ever, why=outlook.why, moving=moving, waiting=moving + already
    )


def _queued_drafts_move(*, engine_id: str, user) -> None:
    """Moves live work not started yet to ``engine_id``, the new active engine: the item,
    its queued draft and its decision's route, in the caller's transaction; each item is
    enqueued again for its new engine once that commits. A thread on an experiment arm
    keeps the arm's engine. An item a worker claims meanwhile is not moved: its lock is
    taken first, and a running item is no longer queued."""
    moving = list(
        DraftJobItem.objects.moving_to(engine_id)
        .select_for_update(of=("self",))
        .values_list(*ITEM_ROUTE, "decision_id")
    )
    ids = [item_id for item_id, *_ in moving]
    DraftJobItem.objects.filter(id__in=ids).update(
        engine_id=engine_id, status=DraftJobItem.Status.QUEUED, enqueued_at=now()
    )
    Decision.objects.filter(id__in=[row[-1] for row in moving]).update(engine_id=engine_id)
    drafts = list(Draft.objects.filter(job_item_id__in=ids, status=Draft.Status.QUEUED))
    for draft in drafts:
        draft.engine_id = engine_id
    bulk_update_with_history(
        drafts,
        Draft,
        ["engine_id"],
        default_user=user,
        default_change_reason="the active draft engine changed",
    )
    routes = [(item_id, engine_id, job_id) for item_id, _, job_id, _ in moving]
    transaction.on_commit(lambda: items_enqueue(routes))


def build_head(engine_id: str) -> str | None:
    """The build's head (voice or classifier); None for an id not in the registry."""
    return EngineBuild.objects.filter(engine_id=engine_id).values_list("head", flat=True).first()


def classifier_engine_problem(engine_id: str) -> str | None:
    """Why ``engine_id`` cannot decide moves: only "rules" or a registered classifier
    build can."""
    if engine_id == RULES:
        return None
    if problem := engine_id_problem(engine_id):
        return problem
    if build_head(engine_id) != AdapterHead.CLASSIFIER:
        return f"'{engine_id}' drafts replies; the classifier is 'rules' or a classifier build."
    return None


@transaction.atomic
def classifier_engine_set(*, engine_id: str, user) -> PipelineSettings:
    """Makes ``engine_id`` ("rules" or a classifier build) decide the moves of live
    messages; kept in history with who and when. Field errors name ``classifier_engine``."""
    if problem := classifier_engine_problem(engine_id):
        raise ValidationError({"classifier_engine": problem})
    row = PipelineSettings.objects.select_for_update().get(id=pipeline_settings().id)
    row.classifier_engine = engine_id
    row._history_user = user
    row.save()
    return row


@transaction.atomic
def uncertain_move_threshold_set(*, threshold: float, user) -> PipelineSettings:
    """A decision whose classifier is less confident than ``threshold`` (0 to 1) has its
    draft held ``uncertain_move`` whatever the send mode; 0 holds none, and the rules,
    which give no confidence, are never held by it. Kept in history with who and when.
    Field errors name ``uncertain_move_threshold``."""
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ValidationError({"uncertain_move_threshold": "A number from 0 to 1."})
    if not 0 <= threshold <= 1:
        raise ValidationError(
            {"uncertain_move_threshold": "From 0 (never hold) to 1 (hold every head's move)."}
        )
    row = PipelineSettings.objects.select_for_update().get(id=pipeline_settings().id)
    row.uncertain_move_threshold = float(threshold)
    row._history_user = user
    row.save()
    return row
