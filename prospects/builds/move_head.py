"""The linear move head's builds: people's labels (plus labelled files, the shipped
starting set) in, a registered in-process classifier build out, with its lineage (a
training run: the champion it challenges, the exact lines, their sha256), its held-out
scores, and an evaluation on people's labels that the promotion gate compares with the
champion's.

The split: a label goes where its thread goes (``split_of``, as the tuning exports and
the evaluations split), so no build is scored on a thread it learned from; a line of a
file is its own thread, split by its text, so a line repeated in two files never sits on
both sides.
"""

import hashlib
import json
import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction

from core.clock import now
from engines.ids import LOCAL_MODELS, Provider, parse_engine_id
from engines.models import AdapterHead, EngineBuild, MoveHeadArtefact
from engines.models.training import Evaluation, TrainingRun
from engines.move_head import DEFAULT_HYPER_PARAMETERS, LIBRARY, MoveHead, head_fit
from engines.moves import prospect_moves
from engines.services import engine_build_register
from engines.training.evaluation import evaluation_create, evaluation_execute
from engines.training.trainer import lines_digest
from prospects.builds.evaluation_cases import classifier_cases
from prospects.builds.promotion import PromotionRefused, build_promote
from prospects.builds.tuning import Split, split_of
from prospects.deciding.classify import Classification
from prospects.deciding.move_corpus import LabelledMessage, MoveScore, labelled_files
from prospects.models import RULES, MoveLabel
from prospects.selectors import pipeline_settings

logger = logging.getLogger(__name__)

MODEL = LOCAL_MODELS[0]
PREFIX = f"{Provider.LOCAL}-{MODEL}_"


@dataclass(frozen=True)
class TrainingLine:
    item: LabelledMessage
    origin: str  # "label" (a person's, from the database) or "file"
    split: Split


def people_lines() -> list[TrainingLine]:
    """Every label people gave, each in its thread's split."""
    labels = MoveLabel.objects.select_related("decision__message").order_by(
        "decision__message__received_at", "id"
    )
    return [
        TrainingLine(
            LabelledMessage(
                body=label.decision.message.body,
                thread_state=label.decision.state,
                move=label.move,
                is_prospect=label.is_prospect,
            ),
            "label",
            split_of(label.decision.thread_id),
        )
        for label in labels.iterator(chunk_size=500)
    ]


def file_lines(items: list[LabelledMessage]) -> list[TrainingLine]:
    return [TrainingLine(item, "file", split_of(f"line:{item.body}")) for item in items]


@dataclass(frozen=True)
class HeadTraining:
    build: EngineBuild
    run: TrainingRun
    held_out: MoveScore
    evaluation: Evaluation | None  # on people's labels; None while there are none held out

    def result_line(self) -> str:
        return (
            f"RESULT build={self.build.engine_id} "
            f"move_accuracy={self.held_out.move_accuracy:.3f} "
            f"is_prospect_accuracy={self.held_out.is_prospect_accuracy:.3f} "
            f"held_out={self.held_out.total}"
        )


def next_engine_id() -> str:
    """``local-moves-linear_<date>.<n>``, the n-th head registered that day."""
    day = now().strftime("%Y-%m-%d")
    taken = EngineBuild.objects.filter(engine_id__startswith=f"{PREFIX}{day}.").count()
    return f"{PREFIX}{day}.{taken + 1}"


def move_head_train(*, extra: list[LabelledMessage] = ()) -> HeadTraining:
    """Fits a head on the train split of people's labels and ``extra``, and registers it
    as a classifier build. Guarantees: the run row (the champion it descends from, the
    exact lines) is written before the fit; a fit that fails leaves the run failed with
    its reason and raises ``ValueError``; the build, its artefact and the run's end commit
    together. Nothing is promoted here: that is the promotion gate's call."""
    lines = people_lines() + file_lines(list(extra))
    train = [line for line in lines if line.split == Split.TRAIN]
    held_out = [line for line in lines if line.split != Split.TRAIN]
    hyper = dict(DEFAULT_HYPER_PARAMETERS)
    snapshot = [
        json.dumps({**asdict(line.item), "origin": line.origin}, ensure_ascii=False)
        for line in train
    ]
    engine_id = next_engine_id()
    run = TrainingRun.objects.create(
        head=AdapterHead.CLASSIFIER,
        placement=TrainingRun.Placement.WORKER,
        status=TrainingRun.Status.RUNNING,
        started_at=now(),
        device="cpu",
        parent_engine_id=pipeline_settings().classifier_engine,
        new_engine_id=engine_id,
        snapshot="\n".join(snapshot),
        data_sha256=lines_digest(snapshot),
        data_lines=len(snapshot),
        hyper_parameters=hyper,
    )
    try:
        head = _fit(train, hyper)
    except ValueError as error:
        TrainingRun.finish(run.id, TrainingRun.Status.FAILED, str(error))
        raise
    score = held_out_score(head, held_out)
    curve = learning_curve(train, held_out, hyper) + [_curve_point(train, score)]
    metrics = {
        "train_lines": len(train),
        "train_labels": sum(line.origin == "label" for line in train),
        "held_out": score.total,
        "held_out_labels": sum(line.origin == "label" for line in held_out),
        "move_accuracy": round(score.move_accuracy, 4) if score.total else None,
        "is_prospect_accuracy": round(score.is_prospect_accuracy, 4) if score.total else None,
        "learning_curve": curve if score.total else [],
    }
    build = _register(run, head, metrics)
    return HeadTraining(
        build=build,
        run=TrainingRun.objects.get(id=run.id),
        held_out=score,
        evaluation=_evaluate(build),
    )


# The learning curve's points besides the head itself: fitted on 1/5 ... 4/5 of its train
# lines, in one fixed order, scored on the same held-out lines.
CURVE_FRACTIONS = (0.2, 0.4, 0.6, 0.8)


def learning_curve(
    train: list[TrainingLine], held_out: list[TrainingLine], hyper: dict
) -> list[dict]:
    """Held-out accuracy against how many lines a head learns from: what more labels are
    still worth. The order is fixed (by each line's text digest), so the same lines draw
    the same curve; a share too small to hold two moves is left out."""
    if not held_out:
        return []
    ordered = sorted(train, key=lambda line: hashlib.sha256(line.item.body.encode()).digest())
    points = []
    for fraction in CURVE_FRACTIONS:
        part = ordered[: round(len(ordered) * fraction)]
        try:
            head = _fit(part, hyper)
        except ValueError:
            continue
        points.append(_curve_point(part, held_out_score(head, held_out)))
    return points


def _fit(lines: list[TrainingLine], hyper: dict) -> MoveHead:
    return head_fit(
        [line.item.body for line in lines],
        [line.item.move for line in lines],
        prospect_moves=prospect_moves(),
        hyper=hyper,
    )


def _curve_point(lines: list[TrainingLine], score: MoveScore) -> dict:
    return {
        "lines": len(lines),
        "labels": sum(line.origin == "label" for line in lines),
        "move_accuracy": round(score.move_accuracy, 4),
        "is_prospect_accuracy": round(score.is_prospect_accuracy, 4),
    }


def held_out_score(head: MoveHead, lines: list[TrainingLine]) -> MoveScore:
    score = MoveScore()
    for line in lines:
        answer = head.answer(line.item.body)
        score.add(line.item, Classification(answer.is_prospect, answer.move, answer.trace))
    return score


@transaction.atomic
def _register(run: TrainingRun, head: MoveHead, metrics: dict) -> EngineBuild:
    build = engine_build_register(
        engine_id=run.new_engine_id,
        description=f"Linear move head (scikit-learn) from training run {run.id}",
        head=AdapterHead.CLASSIFIER,
    )
    data = head.dumps()
    MoveHeadArtefact.objects.create(
        build=build,
        artefact=data,
        sha256=hashlib.sha256(data).hexdigest(),
        library=LIBRARY,
    )
    TrainingRun.finish(
        run.id, TrainingRun.Status.SUCCEEDED, metrics=metrics, device="cpu", build=build
    )
    return build


def _evaluate(build: EngineBuild) -> Evaluation | None:
    """The evaluation the promotion gate reads: people's held-out labels, the same cases
    the build page's "Evaluate" asks any classifier build, answered here and now (an
    in-process head needs no worker)."""
    cases = classifier_cases(Split.EVAL, settings.EVALUATION_MAX_CASES)
    if not cases:
        return None
    evaluation = evaluation_create(
        engine_id=build.engine_id, head=Evaluation.Head.CLASSIFIER, cases=cases
    )
    return evaluation_execute(evaluation.id)


def labels_since_last_head() -> int:
    """Labels added or changed since the last head's training started (all of them before
    the first head): what a retrain would learn that the last one did not."""
    last = (
        TrainingRun.objects.filter(
            new_engine_id__startswith=PREFIX, status=TrainingRun.Status.SUCCEEDED
        )
        .order_by("-created_at")
        .first()
    )
    changes = MoveLabel.history.all()
    if last is not None:
        changes = changes.filter(history_date__gte=last.created_at)
    return changes.values("id").distinct().count()


def move_head_retrain() -> HeadTraining | None:
    """The schedule's step: once ``MOVE_HEAD_RETRAIN_MIN_LABELS`` labels arrived since the
    last head, trains a challenger on people's labels and the starting set
    (``MOVE_HEAD_STARTING_SET``). It replaces a live linear head only through the promotion
    gate; with the rules or a LoRA head live (the admin's choice of kind), it waits on its
    build page for an admin. None when too few labels arrived."""
    if labels_since_last_head() < settings.MOVE_HEAD_RETRAIN_MIN_LABELS:
        return None
    training = move_head_train(extra=labelled_files(settings.MOVE_HEAD_STARTING_SET))
    live = pipeline_settings().classifier_engine
    if live != RULES and parse_engine_id(live).runs_in_process:
        try:
            build_promote(engine_id=training.build.engine_id, user=None)
        except PromotionRefused as refused:
            logger.info("move head %s stays a challenger: %s", training.build.engine_id, refused)
    return training
