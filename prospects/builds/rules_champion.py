"""The rules as the classifier champion: scored on the very cases a classifier build was
evaluated on, so a build replaces the rules only where it is not worse than them."""

from builder.taxonomy import ThreadState
from engines.models import Evaluation
from engines.promotion import evaluation_pair
from prospects.inbound.classify import classify
from prospects.inbound.move_corpus import LabelledMessage, MoveScore
from prospects.models import RULES


def rules_evaluation(candidate: Evaluation) -> Evaluation:
    """An unsaved evaluation of the rules on ``candidate``'s cases (the rules answer in
    no time, so there is nothing to queue or store)."""
    score = MoveScore()
    for case in candidate.cases:
        item = LabelledMessage(
            body=case["text"],
            thread_state=case.get("thread_state", ThreadState.NEW),
            move=case["move"],
            is_prospect=case["is_prospect"],
        )
        score.add(item, classify(item.body, thread_state=item.thread_state))
    return Evaluation(
        head=candidate.head,
        split=candidate.split,
        cases_sha256=candidate.cases_sha256,
        status=Evaluation.Status.SUCCEEDED,
        finished_at=candidate.finished_at,
        metrics={
            "cases": score.total,
            "move_accuracy": score.move_accuracy if score.total else None,
            "is_prospect_accuracy": score.is_prospect_accuracy if score.total else None,
            # The rules always answer, and always within the contract.
            "valid_json_rate": 1.0,
            "invariant_violations": 0,
        },
    )


def evaluation_pairs(engine_id: str, champion: str) -> dict:
    """{head: (the build's latest evaluation, the champion's on the same cases)}; with the
    rules as champion, the rules' score on the build's classifier cases."""
    pairs = {head: evaluation_pair(engine_id, champion, head) for head in Evaluation.Head.values}
    mine, _ = pairs[Evaluation.Head.CLASSIFIER]
    if champion == RULES and mine is not None:
        pairs[Evaluation.Head.CLASSIFIER] = (mine, rules_evaluation(mine))
    return pairs
