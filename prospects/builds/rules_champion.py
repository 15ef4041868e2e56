"""In-process champions: the rules, or a linear move head, scored on the very cases a
classifier build was evaluated on, so a build replaces them only where it is not worse.
Both answer in no time, so there is nothing to queue or store."""

from builder.taxonomy import ThreadState
from engines.ids import InvalidEngineId, parse_engine_id
from engines.models.training import Evaluation
from engines.move_head import HeadUnusable
from engines.training.evaluation import local_classifier_scores
from engines.training.promotion import evaluation_pair
from prospects.deciding.classify import classify
from prospects.deciding.move_corpus import LabelledMessage, MoveScore
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
    return _unsaved_evaluation(
        candidate,
        {
            "cases": score.total,
            "move_accuracy": score.move_accuracy if score.total else None,
            "is_prospect_accuracy": score.is_prospect_accuracy if score.total else None,
            # The rules always answer, and always within the contract.
            "valid_json_rate": 1.0,
            "invariant_violations": 0,
        },
    )


def head_evaluation(candidate: Evaluation, champion: str) -> Evaluation | None:
    """An unsaved evaluation of the in-process head ``champion`` on ``candidate``'s cases;
    None when it cannot be loaded (the gate then names the missing evaluation)."""
    try:
        metrics = local_classifier_scores(champion, candidate.cases)
    except HeadUnusable:
        return None
    return _unsaved_evaluation(candidate, metrics)


def _unsaved_evaluation(candidate: Evaluation, metrics: dict) -> Evaluation:
    """A champion's figures on ``candidate``'s own cases, as an evaluation row the gate
    compares (never saved: computed on the spot)."""
    return Evaluation(
        head=candidate.head,
        split=candidate.split,
        cases_sha256=candidate.cases_sha256,
        status=Evaluation.Status.SUCCEEDED,
        finished_at=candidate.finished_at,
        metrics=metrics,
    )


def _runs_in_process(engine_id: str) -> bool:
    try:
        return parse_engine_id(engine_id).runs_in_process
    except InvalidEngineId:
        return False


def evaluation_pairs(engine_id: str, champion: str) -> dict:
    """{head: (the build's latest evaluation, the champion's on the same cases)}; with the
    rules as champion, the rules' score on the build's classifier cases, and with a linear
    head that has none stored on them, its score there and then."""
    pairs = {head: evaluation_pair(engine_id, champion, head) for head in Evaluation.Head.values}
    mine, theirs = pairs[Evaluation.Head.CLASSIFIER]
    if champion == RULES and mine is not None:
        pairs[Evaluation.Head.CLASSIFIER] = (mine, rules_evaluation(mine))
    elif mine is not None and theirs is None and _runs_in_process(champion):
        pairs[Evaluation.Head.CLASSIFIER] = (mine, head_evaluation(mine, champion))
    return pairs
