"""Writes on pipeline settings (review actions on drafts live in prospects/review.py)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from engines.promotion import promotion_policy, promotion_verdict
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


class PromotionRefused(Exception):
    def __init__(self, verdict):
        super().__init__("; ".join(verdict.problems))
        self.verdict = verdict


def build_promote(*, engine_id: str, user) -> PipelineSettings:
    """Makes ``engine_id`` the draft engine if the promotion gate lets it; otherwise raises
    ``PromotionRefused`` naming each guarded metric that failed. (The admin may still flip
    the engine directly on the settings page, or start an experiment.)"""
    verdict = promotion_verdict(
        engine_id, pipeline_settings().draft_engine, promotion_policy().guards
    )
    if not verdict.ok:
        raise PromotionRefused(verdict)
    return draft_engine_set(engine_id=engine_id, user=user)
