"""Starting an evaluation: the split's cases frozen into the row, then asked on the worker."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from engines.models.training import Evaluation
from engines.training.evaluation import evaluation_create
from prospects.builds.evaluation_cases import CASES
from prospects.builds.tuning import Split
from prospects.enqueue import evaluation_later


def evaluation_cases(head: str, split: str) -> list[dict]:
    errors = {}
    if head not in CASES:
        errors["head"] = [f"One of: {', '.join(CASES)}."]
    if split not in {s.value for s in Split}:
        errors["split"] = [f"One of: {', '.join(s.value for s in Split)}."]
    if errors:
        raise ValidationError(errors)
    return CASES[head](Split(split), settings.EVALUATION_MAX_CASES)


def evaluation_start(*, engine_id: str, head: str, split: str = "eval", user=None) -> Evaluation:
    evaluation = evaluation_create(
        engine_id=engine_id,
        head=head,
        split=split,
        cases=evaluation_cases(head, split),
        user=user,
    )
    transaction.on_commit(lambda: evaluation_later(evaluation.id))
    return evaluation
