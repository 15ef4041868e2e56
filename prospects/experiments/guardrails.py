"""Experiment guardrails: an arm whose drafts are held or rejected too often is paused.

Checked after each draft of an arm is saved and after each rejection, so a bad arm stops
taking traffic within one draft of crossing its threshold.
"""

from django.conf import settings

from builder.experiments import arm_pause
from builder.models import Experiment, ExperimentArm
from prospects.scores import scores_for


def _guardrail_breach(label: str) -> str | None:
    """Why the arm's drafts breach a guardrail, or None."""
    scores = scores_for("experiment_arm", label)
    minimum = settings.EXPERIMENT_GUARDRAIL_MIN_DRAFTS
    if scores.drafts >= minimum and scores.hold_rate > settings.EXPERIMENT_GUARDRAIL_HOLD_RATE:
        return (
            f"Hold rate {scores.hold_rate:.0%} over {scores.drafts} drafts exceeds the "
            f"guardrail of {settings.EXPERIMENT_GUARDRAIL_HOLD_RATE:.0%}."
        )
    if (
        scores.reviewed >= minimum
        and scores.rejection_rate > settings.EXPERIMENT_GUARDRAIL_REJECTION_RATE
    ):
        return (
            f"Rejection rate {scores.rejection_rate:.0%} over {scores.reviewed} reviewed "
            f"drafts exceeds the guardrail of {settings.EXPERIMENT_GUARDRAIL_REJECTION_RATE:.0%}."
        )
    return None


def guard_arm(label: str) -> ExperimentArm | None:
    """Pauses the running arm ``label`` when it breaches a guardrail; returns it if so."""
    slug, _, key = label.partition(":")
    arm = (
        ExperimentArm.objects.select_related("experiment")
        .filter(
            experiment__slug=slug,
            experiment__status=Experiment.Status.RUNNING,
            key=key,
            paused_at=None,
        )
        .first()
    )
    if arm is None or (reason := _guardrail_breach(label)) is None:
        return None
    return arm_pause(arm=arm, reason=reason)
