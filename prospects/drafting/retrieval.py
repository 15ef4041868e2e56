"""Past corrections as few-shot context for the GPU engine.

``similar_corrections`` is the one place that picks them, so an embedding index can
replace token overlap without touching its callers.
"""

import re

from django.conf import settings

from core.untrusted import normalise
from engines.base import Exemplar
from prospects.models import Correction, ReasonTag

WORD = re.compile(r"[\w']+")


def tokens(text: str) -> frozenset[str]:
    return frozenset(WORD.findall(normalise(text).lower()))


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two token sets (0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _clip(text: str) -> str:
    limit = settings.RETRIEVAL_MAX_CHARS
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def similar_corrections(
    *, template_key: str, message: str, workflow_id=None
) -> tuple[Exemplar, ...]:
    """The most similar recent corrections for the template key: edited ones as replies
    to imitate, rejected ones as replies to avoid; capped in count and size.

    Corrections of drafts from the same workflow (``workflow_id``) rank before the key's
    others, then the more similar; ties go to the newer correction. Each exemplar's
    ``ref`` is the correction id.
    """
    if not template_key:
        return ()
    candidates = list(
        Correction.objects.filter(template_key=template_key)
        .order_by("-created_at")
        .values(
            "id",
            "kind",
            "inbound_text",
            "original_text",
            "corrected_text",
            "reason_tags",
            "workflow_version__workflow_id",
        )[: settings.RETRIEVAL_CANDIDATES]
    )
    wanted = tokens(message)
    ranked = sorted(
        enumerate(candidates),
        key=lambda pair: (
            workflow_id is None or pair[1]["workflow_version__workflow_id"] != workflow_id,
            -overlap(wanted, tokens(pair[1]["inbound_text"])),
            pair[0],
        ),
    )
    accepted = [row for _, row in ranked if row["kind"] == Correction.Kind.EDITED]
    rejected = [row for _, row in ranked if row["kind"] == Correction.Kind.REJECTED]
    return tuple(
        [_exemplar(row, accepted=True) for row in accepted[: settings.RETRIEVAL_ACCEPTED]]
        + [_exemplar(row, accepted=False) for row in rejected[: settings.RETRIEVAL_REJECTED]]
    )


def _exemplar(row: dict, *, accepted: bool) -> Exemplar:
    labels = [ReasonTag(tag).label for tag in row["reason_tags"] if tag in ReasonTag.values]
    return Exemplar(
        accepted=accepted,
        message=_clip(row["inbound_text"]),
        reply=_clip(row["corrected_text"] if accepted else row["original_text"]),
        note=", ".join(labels) or "no reason given",
        ref=str(row["id"]),
    )
