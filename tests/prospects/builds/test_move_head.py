"""The linear move head as a classifier build: trained from people's labels (and labelled
files), registered with its lineage, evaluated on people's held-out labels, promoted only
through the gate, deciding at ingest in the process with its confidence, retrained on a
schedule once enough labels arrived, and picked up by another process without a restart."""

import hashlib
import json
import os
import pickle
import re
import select
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from engines.models import EngineBuild, ModelCall, MoveHeadArtefact
from engines.models.training import Evaluation, TrainingRun
from engines.registry import move_heads_forget
from engines.services import engine_build_register
from engines.training.evaluation import evaluation_create, evaluation_execute
from engines.training.runs import training_run_create
from prospects.builds.evaluation_runs import evaluation_start
from prospects.builds.move_head import labels_since_last_head, move_head_train
from prospects.builds.promotion import PromotionRefused, build_promote
from prospects.builds.tuning import Split, split_of
from prospects.drafting.pipeline import decision_classify_on_worker
from prospects.engine_switch import classifier_engine_set
from prospects.inbound.ingest import inbound_ingest
from prospects.models import DraftJobItem, MoveLabel
from prospects.review.labels import move_label_correct
from prospects.selectors import pipeline_settings
from prospects.tasks import retrain_move_head
from scripts.local_worker import database_url
from tests.support.factories import make_inbound
from tests.support.labels import PATTERN, labelled

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
RESULT = re.compile(
    r"^RESULT build=(local-moves-linear_\d{4}-\d\d-\d\d\.\d+) "
    r"move_accuracy=(\d\.\d{3}) is_prospect_accuracy=(\d\.\d{3}) held_out=(\d+)$"
)


@pytest.fixture(autouse=True)
def _no_stale_heads(settings):
    """Each test's database starts empty, so build ids repeat across tests (never in one
    database); the per-process cache must not hand one test another's head."""
    settings.TUNING_EVAL_PERCENT = 50
    settings.MOVE_HEAD_STARTING_SET = []
    move_heads_forget()
    yield
    move_heads_forget()


def run_moves(*args) -> list[str]:
    out = StringIO()
    call_command("moves", *map(str, args), stdout=out)
    return out.getvalue().splitlines()


def test_moves_train_registers_a_build_with_its_lineage_and_ends_with_the_result(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    lines = [
        {"body": f"the {word} kind, case {n}", "move": move, "is_prospect": move == "pursue"}
        for n in range(8)
        for word, move in PATTERN.items()
    ]
    corpus.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    *_, result = run_moves("train", "--labels", corpus)
    engine_id, move_accuracy, is_prospect_accuracy, held_out = RESULT.match(result).groups()
    assert engine_id == EngineBuild.objects.get(head="classifier").engine_id
    assert float(move_accuracy) == float(is_prospect_accuracy) == 1.0
    run = TrainingRun.objects.get(build__engine_id=engine_id)
    assert (run.status, run.parent_engine_id, run.head) == ("succeeded", "rules", "classifier")
    assert run.data_lines + int(held_out) == len(lines)
    assert run.metrics["move_accuracy"] == 1.0
    artefact = MoveHeadArtefact.objects.get(build__engine_id=engine_id)
    assert artefact.library.startswith("scikit-learn ")
    again = RESULT.match(run_moves("train", "--labels", corpus)[-1])
    assert again.group(1) == engine_id.replace(".1", ".2")  # a retrain is a new build


def test_a_bad_labels_line_names_its_file_and_line(tmp_path):
    corpus = tmp_path / "bad.jsonl"
    corpus.write_text('{"body": "hi", "move": "opener", "is_prospect": true}\n{"body": 3}\n')
    with pytest.raises(CommandError, match=r'--labels: .*bad.jsonl:2: "body" must be a string'):
        run_moves("train", "--labels", corpus)
    with pytest.raises(CommandError, match="at least two moves"):
        run_moves("train")
    assert TrainingRun.objects.get().status_detail.startswith("A head needs labels")


def test_peoples_labels_are_split_by_thread_and_the_held_out_ones_evaluate_the_build():
    decisions = labelled(6)
    training = move_head_train()
    held_out = [d for d in decisions if split_of(d.thread_id) == Split.EVAL]
    assert 0 < len(held_out) < len(decisions)
    learned = {json.loads(line)["body"] for line in training.run.snapshot.splitlines()}
    assert learned == {d.message.body for d in decisions if d not in held_out}
    evaluation = training.evaluation
    assert (evaluation.status, evaluation.head) == ("succeeded", "classifier")
    assert evaluation.metrics["cases"] == len(held_out) == training.held_out.total
    assert evaluation.metrics["move_accuracy"] == 1.0
    assert evaluation.metrics["valid_json_rate"] == 1.0


def test_with_the_head_live_ingest_decides_in_process_with_its_confidence(canon):
    labelled(6)
    engine_id = move_head_train().build.engine_id
    classifier_engine_set(engine_id=engine_id, user=None)
    spam = inbound_ingest(inbound=make_inbound("the flumox kind, case 99"))
    assert (spam.decision.move, spam.decision.classified_by) == ("spam", engine_id)
    assert 0.5 < spam.decision.confidence <= 1
    assert spam.decision.trace.startswith("Linear head: spam at ")
    # No reply to draft, and no second opinion to wait for: nothing goes to the worker.
    assert spam.draft is None
    assert not DraftJobItem.objects.filter(decision=spam.decision).exists()
    pursue = inbound_ingest(inbound=make_inbound("the velmorn kind, case 99"))
    assert (pursue.decision.move, pursue.draft.status) == ("pursue", "queued")
    assert decision_classify_on_worker(pursue.decision).classified_by == engine_id
    assert not ModelCall.objects.exists()


def test_a_head_that_cannot_be_loaded_leaves_the_rules_to_decide_with_the_reason():
    engine_build_register(engine_id="local-moves-linear_2026-01-01.1", head="classifier")
    classifier_engine_set(engine_id="local-moves-linear_2026-01-01.1", user=None)
    decision = inbound_ingest(inbound=make_inbound("the zorblat kind")).decision
    assert (decision.classified_by, decision.confidence) == ("rules", None)
    assert decision.classifier_problem == (
        "classifier local-moves-linear_2026-01-01.1: "
        "'local-moves-linear_2026-01-01.1' has no stored head"
    )


def test_a_head_another_scikit_learn_pickled_gives_no_answer_and_the_rules_decide():
    labelled(2)
    build = move_head_train().build
    artefact = MoveHeadArtefact.objects.get(build=build)
    stored = pickle.loads(bytes(artefact.artefact))
    stored["sklearn"] = "0.1.0"
    artefact.artefact = pickle.dumps(stored)
    artefact.sha256 = hashlib.sha256(artefact.artefact).hexdigest()
    artefact.save()
    move_heads_forget()  # a process started after an upgrade of scikit-learn
    classifier_engine_set(engine_id=build.engine_id, user=None)
    for _ in range(2):  # the second message is refused from memory, as the first was
        decision = inbound_ingest(inbound=make_inbound("the zorblat kind")).decision
        assert decision.classified_by == "rules"
        assert "made with scikit-learn 0.1.0" in decision.classifier_problem


def test_the_classify_command_scores_a_head_on_a_file(tmp_path):
    labelled(6)
    engine_id = move_head_train().build.engine_id
    path = tmp_path / "labelled.jsonl"
    path.write_text(
        json.dumps({"body": "the flumox kind, case 50", "move": "spam", "is_prospect": False})
        + "\n"
    )
    out = StringIO()
    call_command("classify", str(path), "--labelled", "--classifier", engine_id, stdout=out)
    verdict, result = out.getvalue().splitlines()
    assert json.loads(verdict)["classified_by"] == engine_id
    assert result == "RESULT move_accuracy=1.000 is_prospect_accuracy=1.000 messages=1"


def test_a_head_better_than_the_rules_is_promoted_to_classifier(admin_user):
    labelled(6)
    engine_id = move_head_train().build.engine_id
    build_promote(engine_id=engine_id, user=admin_user)
    assert pipeline_settings().classifier_engine == engine_id


def test_without_peoples_held_out_labels_the_gate_refuses_it(tmp_path, admin_user):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "".join(
            json.dumps({"body": f"the {word} kind", "move": move, "is_prospect": move == "pursue"})
            + "\n"
            for word, move in PATTERN.items()
        )
    )
    engine_id = RESULT.match(run_moves("train", "--labels", corpus)[-1]).group(1)
    with pytest.raises(PromotionRefused, match="No classifier evaluation of this build yet"):
        build_promote(engine_id=engine_id, user=admin_user)
    assert pipeline_settings().classifier_engine == "rules"


def test_the_schedule_trains_a_challenger_only_once_enough_labels_arrived(settings):
    first = len(labelled(3))
    settings.MOVE_HEAD_RETRAIN_MIN_LABELS = first + 1
    assert retrain_move_head.delay().get() == ""
    assert not EngineBuild.objects.exists()
    labelled(1)
    engine_id = retrain_move_head.delay().get()
    assert EngineBuild.objects.get().engine_id == engine_id
    assert labels_since_last_head() == 0
    assert retrain_move_head.delay().get() == ""
    # The rules are live, an admin's choice of kind: the challenger waits for an admin.
    assert pipeline_settings().classifier_engine == "rules"


def test_a_scheduled_challenger_worse_than_the_live_head_is_refused_by_the_gate(settings):
    settings.MOVE_HEAD_RETRAIN_MIN_LABELS = 1
    labelled(6)
    champion = retrain_move_head.delay().get()
    classifier_engine_set(engine_id=champion, user=None)
    labelled(12, rotate_train=True)  # most labels it would learn from are wrong now
    challenger = retrain_move_head.delay().get()
    assert challenger != champion
    assert pipeline_settings().classifier_engine == champion
    with pytest.raises(PromotionRefused, match="move accuracy: .* worse by"):
        build_promote(engine_id=challenger, user=None)


def test_a_better_scheduled_challenger_replaces_the_live_head(settings):
    settings.MOVE_HEAD_RETRAIN_MIN_LABELS = 1
    labelled(1)
    champion = retrain_move_head.delay().get()
    classifier_engine_set(engine_id=champion, user=None)
    labelled(8)
    challenger = retrain_move_head.delay().get()
    assert pipeline_settings().classifier_engine == challenger


def test_the_build_pages_evaluate_asks_the_head_in_process(django_capture_on_commit_callbacks):
    labelled(6)
    engine_id = move_head_train().build.engine_id
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = evaluation_start(engine_id=engine_id, head="classifier")
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.metrics["move_accuracy"]) == ("succeeded", 1.0)
    voice = evaluation_create(
        engine_id=engine_id, head="voice", cases=[{"messages": [], "final_text": "Hi"}]
    )
    voice = evaluation_execute(voice.id)
    assert voice.status == Evaluation.Status.FAILED
    assert "evaluate it as a classifier" in voice.status_detail


def test_a_head_is_no_parent_for_a_lora_run():
    labelled(2)
    engine_id = move_head_train().build.engine_id
    with pytest.raises(ValidationError) as refused:
        training_run_create(lines=["{}"], parent_engine_id=engine_id, source_engine_ids=[])
    assert "moves train" in refused.value.message_dict["parent_engine_id"][0]


def test_a_label_changed_since_the_last_head_counts_as_new():
    decision, *others = labelled(1)
    move_head_train()
    assert labels_since_last_head() == 0
    move_label_correct(decision_id=decision.id, move="spam", user=None)
    assert labels_since_last_head() == 1
    assert MoveLabel.objects.count() == 1 + len(others)


@pytest.mark.django_db(transaction=True)
def test_a_head_switched_on_in_one_process_decides_in_another_without_a_restart(canon):
    web = subprocess.Popen(
        [sys.executable, "-m", "tests.support.ingest_loop"],
        cwd=ROOT,
        env=dict(os.environ, DATABASE_URL=database_url(), CELERY_TASK_ALWAYS_EAGER="1"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def ingest_there(body: str) -> str:
        web.stdin.write(body + "\n")
        web.stdin.flush()
        ready, _, _ = select.select([web.stdout], [], [], 60)
        assert ready, "the other process did not answer within 60 s"
        return web.stdout.readline().strip()

    try:
        assert ingest_there("the zorblat kind, case 98") == "rules vendor=False"
        labelled(6)
        engine_id = move_head_train().build.engine_id
        build_promote(engine_id=engine_id, user=None)
        assert ingest_there("the zorblat kind, case 99") == f"{engine_id} vendor=True"
    finally:
        web.stdin.close()
        web.wait(timeout=30)
        web.stdout.close()


def test_a_head_draws_its_learning_curve_and_the_build_page_shows_it(tmp_path, admin_user):
    from tests.support.panel import logged_in

    corpus = tmp_path / "corpus.jsonl"
    lines = [
        {"body": f"the {word} kind, case {n}", "move": move, "is_prospect": move == "pursue"}
        for n in range(12)
        for word, move in PATTERN.items()
    ]
    corpus.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    engine_id = RESULT.match(run_moves("train", "--labels", corpus)[-1]).group(1)

    curve = TrainingRun.objects.get(build__engine_id=engine_id).metrics["learning_curve"]
    sizes = [point["lines"] for point in curve]
    page = logged_in(admin_user).get(f"/engines/{engine_id}/").content.decode()

    assert len(curve) >= 3
    assert sizes == sorted(sizes)
    assert sizes[-1] == TrainingRun.objects.get(build__engine_id=engine_id).data_lines
    assert curve[-1]["move_accuracy"] == 1.0
    assert all(0 <= point["is_prospect_accuracy"] <= 1 for point in curve)
    assert 'id="learning-curve"' in page
    assert page.count('data-series="') == 2
