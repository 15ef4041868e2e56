"""Starting a training run from reviewed work on the train split, frozen into the run's
snapshot, then trained on the worker: the voice adapter on the named builds' SFT export,
the classifier head on the decisions."""

import json

from django.db import transaction

from engines.classifier import move_messages
from engines.models.training import TrainingRun
from engines.training.runs import training_run_create
from prospects.builds.evaluation_cases import classifier_cases
from prospects.builds.tuning import Format, Split, tuning_lines
from prospects.enqueue import training_later


def voice_lines(engine_ids: list[str]) -> list[str]:
    """Each build's train-split SFT lines, deduplicated across builds, in a stable order."""
    seen, lines = set(), []
    for engine_id in engine_ids:
        for line in tuning_lines(engine_id=engine_id, fmt=Format.SFT, split=Split.TRAIN):
            text = json.dumps(line, ensure_ascii=False, sort_keys=True)
            if text not in seen:
                seen.add(text)
                lines.append(text)
    return lines


def classifier_lines(engine_ids: list[str]) -> list[str]:
    """The classifier head learns the move contract from people: the train split's labels
    (corrected or confirmed moves) as the prompt the pipeline sends and the strict JSON it
    expects back, the trace being the person's reason or the cue they confirmed. Labels
    are not per build, so ``engine_ids`` does not narrow them."""
    lines = []
    for case in classifier_cases(Split.TRAIN):
        # The contract's order: is_prospect, then the move, then why.
        answer = {"is_prospect": case["is_prospect"], "move": case["move"], "trace": case["trace"]}
        messages = [
            *move_messages(case["text"]),
            {"role": "assistant", "content": json.dumps(answer)},
        ]
        lines.append(json.dumps({"messages": messages}, ensure_ascii=False, sort_keys=True))
    return lines


LINES = {TrainingRun.Head.VOICE: voice_lines, TrainingRun.Head.CLASSIFIER: classifier_lines}


def training_run_start(
    *,
    source_engine_ids: list[str],
    parent_engine_id: str = "",
    head: str = TrainingRun.Head.VOICE,
    new_engine_id: str = "",
    hyper_parameters: dict | None = None,
    base_model: str = "",
    user=None,
) -> TrainingRun:
    """Writes the queued run (with its data) first, then hands it to the worker or leaves
    it to the GPU lifecycle."""
    # Each build's corrections once, however often it is listed: every listing is a walk
    # of its drafts.
    source_engine_ids = list(dict.fromkeys(source_engine_ids))
    lines = LINES[head](source_engine_ids) if head in LINES else []
    run = training_run_create(
        lines=lines,
        parent_engine_id=parent_engine_id or (source_engine_ids or [""])[0],
        source_engine_ids=source_engine_ids,
        head=head,
        new_engine_id=new_engine_id,
        hyper_parameters=hyper_parameters,
        base_model=base_model,
        user=user,
    )
    if run.placement == TrainingRun.Placement.WORKER:
        transaction.on_commit(lambda: training_later(run.id))
    # A GPU run waits for the lifecycle tick, which starts its training droplet.
    return run
