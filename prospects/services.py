"""Writes on pipeline settings (review actions on drafts live in prospects/review.py)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from engines.selectors import engine_id_problem
from prospects.models import PipelineSettings
from prospects.selectors import pipeline_settings


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
