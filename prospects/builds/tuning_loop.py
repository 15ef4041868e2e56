"""The tuning loop on one build, here and now: a child trained from the build's corrections
(the train split), both builds evaluated on the held-out threads, and the child promoted
when the promotion guards let it replace its parent. The same functions the panel's
training runs and evaluations use; only the worker is this process."""

from dataclasses import dataclass

from engines.models.training import Evaluation, TrainingRun
from engines.training.evaluation import evaluation_create, evaluation_execute
from engines.training.promotion import Verdict, guards_for, promotion_policy, promotion_verdict
from engines.training.runs import training_run_create, training_run_execute
from prospects.builds.evaluation_runs import evaluation_cases
from prospects.builds.promotion import build_promote
from prospects.builds.training_runs import voice_lines
from prospects.builds.tuning import Split


class LoopFailed(Exception):
    pass


@dataclass(frozen=True)
class Scores:
    """A build's voice evaluation, in the issue's words."""

    engine_id: str
    evaluation: Evaluation

    @property
    def usable(self) -> float:
        return self.evaluation.metrics["gate_pass_rate"]

    @property
    def edit_distance(self) -> float:
        return self.evaluation.metrics["edit_distance_mean"]


def child_train(
    *, parent_engine_id: str, base_model: str, hyper_parameters: dict, user=None
) -> TrainingRun:
    """Trains the parent's voice adapter on its train-split corrections; the run registers
    the child build. ``LoopFailed`` with the run's reason when it fails."""
    lines = voice_lines([parent_engine_id])
    run = training_run_create(
        lines=lines,
        parent_engine_id=parent_engine_id,
        source_engine_ids=[parent_engine_id],
        hyper_parameters=hyper_parameters,
        base_model=base_model,
        user=user,
    )
    run = training_run_execute(run.id)
    if run.status != TrainingRun.Status.SUCCEEDED:
        raise LoopFailed(f"Training run {run.id} {run.status}: {run.status_detail}")
    return run


def held_out_scores(engine_ids: list[str], *, limit: int | None = None) -> list[Scores]:
    """Each build asked the same held-out cases (the per-thread split's ``eval`` threads)."""
    cases = evaluation_cases(Evaluation.Head.VOICE, Split.EVAL)[:limit]
    scores = []
    for engine_id in engine_ids:
        evaluation = evaluation_create(
            engine_id=engine_id, head=Evaluation.Head.VOICE, split=Split.EVAL, cases=cases
        )
        evaluation = evaluation_execute(evaluation.id)
        if evaluation.status != Evaluation.Status.SUCCEEDED:
            raise LoopFailed(f"Evaluating {engine_id} failed: {evaluation.status_detail}")
        scores.append(Scores(engine_id, evaluation))
    return scores


def child_promote(*, child_engine_id: str, parent_engine_id: str, user) -> Verdict:
    """The guards' verdict on the child against its parent; a passing child becomes the
    draft engine (through ``build_promote``, which judges it against the live engine
    too)."""
    guards = guards_for(promotion_policy().guards, Evaluation.Head.VOICE)
    verdict = promotion_verdict(child_engine_id, parent_engine_id, guards)
    if verdict.ok:
        build_promote(engine_id=child_engine_id, user=user)
    return verdict
