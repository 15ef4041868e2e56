"""LoRA training: the trainer on a tiny random-init model (CPU, seconds), and training
runs from snapshot to registered build."""

import json

import pytest
from django.core.exceptions import ValidationError

from engines.models import EngineBuild
from engines.models.training import TrainingRun
from engines.registry import endpoint_for
from engines.services import engine_build_register
from engines.training.runs import adapter_name, training_run_create, training_run_execute
from engines.training.trainer import METADATA_FILE, HyperParameters, lines_digest, train_adapter
from tests.support.tiny_lm import SAMPLE_LINES

FAST = {"max_steps": 12, "batch_size": 4, "max_length": 64, "learning_rate": 0.01}
LINES = SAMPLE_LINES


def sequence_loss(model, tokenizer, line: str) -> float:
    import torch

    ids = tokenizer.apply_chat_template(
        json.loads(line)["messages"], return_tensors="pt", return_dict=True
    )["input_ids"]
    with torch.no_grad():
        return model(input_ids=ids, labels=ids).loss.item()


def test_the_trainer_writes_an_adapter_that_loads_and_changes_the_model(tiny_base, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    logged = []
    result = train_adapter(
        base_model=str(tiny_base),
        lines=LINES,
        out_dir=tmp_path / "adapter",
        hyper=HyperParameters(**FAST),
        log=logged.append,
    )
    written = {path.name for path in (tmp_path / "adapter").iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", METADATA_FILE} <= written
    assert "tokenizer.json" in written
    metadata = json.loads((tmp_path / "adapter" / METADATA_FILE).read_text())
    assert metadata["data_sha256"] == lines_digest(LINES)
    assert metadata["base_model"] == str(tiny_base)
    assert metadata["hyper_parameters"]["r"] == 16
    assert metadata["hyper_parameters"]["target_modules"] == [
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj",
    ]  # fmt: skip
    assert metadata["metrics"]["steps"] == 12
    assert result.device == "cpu"
    assert any('"loss"' in line for line in logged)
    adapter_config = json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())
    assert adapter_config["r"] == 16
    assert adapter_config["lora_alpha"] == 16

    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "adapter")
    base = AutoModelForCausalLM.from_pretrained(tiny_base)
    before = sequence_loss(base, tokenizer, LINES[0])
    tuned = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(tiny_base), tmp_path / "adapter"
    )
    after = sequence_loss(tuned, tokenizer, LINES[0])
    # The adapter moved the model towards its data, not merely somewhere else.
    assert after < before - 0.1


def test_the_classifier_head_defaults_differ_from_the_voice_adapter():
    from engines.training.trainer import Head, default_hyper_parameters

    classifier = default_hyper_parameters(Head.CLASSIFIER)
    voice = default_hyper_parameters(Head.VOICE)
    assert (classifier.r, classifier.alpha, classifier.dropout) == (16, 32, 0.05)
    assert (voice.r, voice.alpha) == (16, 16)


@pytest.fixture
def parent(db, tiny_base):
    return engine_build_register(
        engine_id="endpoint-tiny_1",
        endpoint_url="http://127.0.0.1:9/v1",
        served_model="tiny",
        model_path=str(tiny_base),
    )


@pytest.mark.django_db
def test_a_run_trains_once_and_registers_its_build_with_lineage(parent, settings, tmp_path):
    settings.TRAINING_OUTPUT_DIR = str(tmp_path)
    run = training_run_create(
        lines=LINES,
        parent_engine_id=parent.engine_id,
        source_engine_ids=[parent.engine_id],
        new_engine_id="endpoint-tiny_1-voice-a",
        hyper_parameters=FAST,
    )
    assert run.status == TrainingRun.Status.QUEUED
    assert run.data_sha256 == lines_digest(LINES)
    assert run.data_lines == 24
    assert run.snapshot.split("\n") == LINES

    done = training_run_execute(run.id)
    assert done.status == TrainingRun.Status.SUCCEEDED, done.status_detail
    build = EngineBuild.objects.get(engine_id="endpoint-tiny_1-voice-a")
    assert done.build == build
    name = adapter_name(done)
    assert build.adapter == name
    assert build.served_model == parent.served_model
    assert endpoint_for(build.engine_id).model == name  # its requests pick the adapter
    assert build.lora_modules == {name: str(tmp_path / "endpoint-tiny_1-voice-a")}
    assert build.endpoint_url == parent.endpoint_url
    assert build.training_run.parent_engine_id == parent.engine_id
    assert done.metrics["steps"] == 12
    assert done.device == "cpu"
    assert '"registered"' in done.log
    assert '"loss"' in done.log

    again = training_run_execute(run.id)
    assert again.finished_at == done.finished_at  # a redelivered task changes nothing


@pytest.mark.django_db
def test_a_run_that_cannot_train_fails_with_its_reason(parent, settings, tmp_path):
    settings.TRAINING_OUTPUT_DIR = str(tmp_path)
    run = training_run_create(
        lines=LINES,
        parent_engine_id=parent.engine_id,
        source_engine_ids=[parent.engine_id],
        base_model=str(tmp_path / "no-such-model"),
        hyper_parameters=FAST,
    )
    failed = training_run_execute(run.id)
    assert failed.status == TrainingRun.Status.FAILED
    assert "no-such-model" in failed.status_detail
    assert failed.build is None
    assert not EngineBuild.objects.filter(engine_id=run.new_engine_id).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"parent_engine_id": "endpoint-nothing_1"}, "parent_engine_id"),
        ({"parent_engine_id": "template"}, "parent_engine_id"),
        ({"new_engine_id": "not an id"}, "new_engine_id"),
        ({"new_engine_id": "endpoint-other_2"}, "new_engine_id"),
        ({"new_engine_id": "endpoint-tiny_1"}, "new_engine_id"),
        ({"head": "oracle"}, "head"),
        ({"lines": []}, "source_engine_ids"),
        ({"hyper_parameters": {"r": 0}}, "hyper_parameters.r"),
        ({"hyper_parameters": {"dropout": 1.5}}, "hyper_parameters.dropout"),
        ({"hyper_parameters": {"batch_size": 2.5}}, "hyper_parameters.batch_size"),
        ({"hyper_parameters": {"packing": "yes"}}, "hyper_parameters.packing"),
        ({"hyper_parameters": {"target_modules": []}}, "hyper_parameters.target_modules"),
        ({"hyper_parameters": {"rank": 8}}, "hyper_parameters.rank"),
    ],
)
def test_bad_runs_are_refused_field_by_field(parent, changes, field):
    engine_build_register(engine_id="template")
    arguments = {
        "lines": LINES,
        "parent_engine_id": parent.engine_id,
        "source_engine_ids": [parent.engine_id],
        **changes,
    }
    with pytest.raises(ValidationError) as refused:
        training_run_create(**arguments)
    assert field in refused.value.message_dict
    assert not TrainingRun.objects.exists()


@pytest.mark.django_db
def test_runs_left_running_past_their_time_limit_are_failed(parent, settings):
    from datetime import timedelta

    from core.clock import now
    from engines.training.evaluation import evaluation_create
    from engines.training.runs import WORKER_LOST, runs_sweep

    run = training_run_create(
        lines=LINES, parent_engine_id=parent.engine_id, source_engine_ids=[parent.engine_id]
    )
    evaluation = evaluation_create(engine_id=parent.engine_id, head="voice", cases=[{"x": 1}])
    long_ago = now() - timedelta(seconds=settings.TRAINING_TIME_LIMIT + 120)
    TrainingRun.objects.filter(id=run.id).update(status="running", started_at=long_ago)
    evaluation.__class__.objects.filter(id=evaluation.id).update(status="running", started_at=now())
    assert runs_sweep() == 1
    run.refresh_from_db()
    evaluation.refresh_from_db()
    assert (run.status, run.status_detail) == ("failed", WORKER_LOST)
    assert evaluation.status == "running"  # still within its limit


def test_the_cuda_path_trains_in_bf16_with_the_paged_optimiser_and_checkpointing():
    from types import SimpleNamespace

    from engines.training.trainer import _device_settings

    cuda = SimpleNamespace(is_available=lambda: True, is_bf16_supported=lambda: True)
    assert _device_settings(SimpleNamespace(cuda=cuda)) == {
        "device": "cuda",
        "use_cpu": False,
        "bf16": True,
        "optim": "paged_adamw_8bit",
        "activation_checkpointing": True,
    }


def test_a_run_whose_replies_all_fall_past_max_length_fails_saying_so(tiny_base, tmp_path):
    with pytest.raises(ValueError, match=r"No line fits max_length \(16 tokens\)"):
        train_adapter(
            base_model=str(tiny_base),
            lines=LINES,
            out_dir=tmp_path,
            hyper=HyperParameters(**{**FAST, "max_length": 16}),
        )
