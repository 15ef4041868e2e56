"""Held-out cases for evaluations, from reviewed work on the threads of a split (the same
per-thread split as the tuning export, so no build is scored on what it trained on).

- voice: each reviewed, sent-or-approved draft's prompt, and the text the coworker let go;
- classifier: the recorded decision of each such draft's message, plus every
  not-a-prospect decision (those get no draft to review). The labels are the pipeline's
  decisions as reviewed work left them, not a separate hand labelling.
"""

from django.db.models import Q

from prospects.models import Decision, Draft
from prospects.tuning import Format, Split, split_of, tuning_lines


def voice_cases(split: Split = Split.EVAL, limit: int | None = None) -> list[dict]:
    cases = []
    for line in tuning_lines(engine_id=None, fmt=Format.SFT, split=split):
        *prompt, reply = line["messages"]
        cases.append({"messages": prompt, "final_text": reply["content"]})
        if len(cases) == limit:
            break
    return cases


def classifier_cases(split: Split = Split.EVAL, limit: int | None = None) -> list[dict]:
    kept = Q(drafts__reviewed_at__isnull=False) & ~Q(drafts__status=Draft.Status.REJECTED)
    decisions = (
        Decision.objects.filter(kept | Q(is_prospect=False))
        .distinct()
        .select_related("message")
        .order_by("message__received_at", "id")
    )
    cases = []
    for decision in decisions.iterator(chunk_size=500):
        if split != Split.ALL and split_of(decision.thread_id) != split:
            continue
        cases.append(
            {
                "text": decision.message.body,
                "is_prospect": decision.is_prospect,
                "move": decision.move,
            }
        )
        if len(cases) == limit:
            break
    return cases


CASES = {"voice": voice_cases, "classifier": classifier_cases}
