"""The engine switch: which engine drafts replies, which decides moves, and how sure the
classifier must be before a draft may go out without a person; kept in history.

Promoting a build through its promotion gate lives in prospects/builds/promotion.py."""

from django.core.exceptions import ValidationError
from django.db import transaction

from engines.models import AdapterHead, EngineBuild
from engines.selectors import engine_id_problem
from prospects.models import RULES, PipelineSettings
from prospects.selectors import pipeline_settings


@transaction.atomic
def draft_engine_set(*, engine_id: str, user) -> PipelineSettings:
    """Makes ``engine_id`` the active draft engine; kept in history with who and when.

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
    return row


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
