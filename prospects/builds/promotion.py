"""Promoting a build: the promotion gate compares it with the champion it would replace,
on the same evaluation cases, before the engine switch flips."""

from engines.models import AdapterHead
from engines.training.promotion import guards_for, promotion_policy, promotion_verdict
from prospects.builds.rules_champion import evaluation_pairs
from prospects.engine_switch import build_head, classifier_engine_set, draft_engine_set
from prospects.models import PipelineSettings
from prospects.selectors import pipeline_settings


class PromotionRefused(Exception):
    def __init__(self, verdict):
        super().__init__("; ".join(verdict.problems))
        self.verdict = verdict


def champion_of(engine_id: str) -> str:
    """What a build would replace: the live classifier for a classifier build, else the
    draft engine."""
    row = pipeline_settings()
    if build_head(engine_id) == AdapterHead.CLASSIFIER:
        return row.classifier_engine
    return row.draft_engine


def build_promote(*, engine_id: str, user) -> PipelineSettings:
    """Makes ``engine_id`` the draft engine (a classifier build: the classifier, never the
    drafter) if the promotion gate lets it; otherwise raises ``PromotionRefused`` naming
    each guarded metric that failed. (The admin may still flip either setting directly on
    the settings page, or start an experiment.)"""
    head = build_head(engine_id) or AdapterHead.VOICE
    champion = champion_of(engine_id)
    verdict = promotion_verdict(
        engine_id,
        champion,
        guards_for(promotion_policy().guards, head),
        evaluation_pairs(engine_id, champion),
    )
    if not verdict.ok:
        raise PromotionRefused(verdict)
    if head == AdapterHead.CLASSIFIER:
        return classifier_engine_set(engine_id=engine_id, user=user)
    return draft_engine_set(engine_id=engine_id, user=user)
