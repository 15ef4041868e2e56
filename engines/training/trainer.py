"""LoRA training on SFT chat lines with PEFT and TRL's SFTTrainer.

Plain data in (the lines, a base model's folder, hyper-parameters), files out: the adapter,
its config, the tokenizer and ``metadata.json``. No Django: the same module runs in the
worker on the CPU and on a training droplet with CUDA. Heavy imports happen inside
``train_adapter`` so that importing this module costs nothing.
"""

import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from engines.heads import Head

# Attention and MLP projections of Llama-family models (Gemma 3 among them).
PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
METADATA_FILE = "metadata.json"


@dataclass(frozen=True)
class HyperParameters:
    r: int = 16
    alpha: int = 16
    dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: list(PROJECTIONS))
    learning_rate: float = 2e-4
    epochs: float = 1.0
    max_steps: int = -1
    batch_size: int = 4
    gradient_accumulation: int = 1
    max_length: int = 1024
    packing: bool = True
    # A share of the total steps, as SFTConfig takes it in warmup_steps.
    warmup_ratio: float = 0.03
    seed: int = 42


def default_hyper_parameters(head: Head) -> HyperParameters:
    """The issue's defaults: the classifier head leans harder on its few tokens."""
    if head == Head.CLASSIFIER:
        return HyperParameters(r=16, alpha=32, dropout=0.05)
    return HyperParameters(r=16, alpha=16, dropout=0.05)


def lines_digest(lines: list[str]) -> str:
    """The data snapshot's identity: sha256 over the exact lines, in order."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


@dataclass(frozen=True)
class TrainingResult:
    adapter_dir: str
    metrics: dict
    metadata: dict
    device: str


def _device_settings(torch) -> dict:
    """4-bit QLoRA, a paged 8-bit optimiser, bf16 and gradient checkpointing where CUDA
    has them (bitsandbytes, the `cuda` extra); plain fp32 on the CPU."""
    if not torch.cuda.is_available():
        return {
            "device": "cpu",
            "use_cpu": True,
            "bf16": False,
            "optim": "adamw_torch",
            "activation_checkpointing": False,
        }
    return {
        "device": "cuda",
        "use_cpu": False,
        "bf16": torch.cuda.is_bf16_supported(),
        "optim": "paged_adamw_8bit",
        # Gradient (activation) checkpointing: activations recomputed in the backward pass,
        # what lets a 12B base train in 4 bits on one GPU. The non-reentrant variant is the
        # one PEFT's frozen base works with.
        "activation_checkpointing": True,
    }


def _quantization(torch):
    if not torch.cuda.is_available():
        return None
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )


def train_adapter(
    *,
    base_model: str,
    lines: list[str],
    out_dir: str | Path,
    head: Head = Head.VOICE,
    hyper: HyperParameters | None = None,
    log=print,
) -> TrainingResult:
    """Trains a LoRA adapter on ``lines`` (SFT JSONL: ``{"messages": [...], ...}``) over
    the model in ``base_model`` (a folder with weights and a tokenizer that has a chat
    template), and writes it all to ``out_dir``. ``log`` gets one line per event."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    hyper = hyper or default_hyper_parameters(head)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    examples = [{"messages": json.loads(line)["messages"]} for line in lines]
    if not examples:
        raise ValueError("No training lines: the export snapshot is empty.")
    device = _device_settings(torch)
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    model = AutoModelForCausalLM.from_pretrained(
        base_model, quantization_config=_quantization(torch)
    )

    class LogLines(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            log(json.dumps({"step": state.global_step, **(logs or {})}))

    checkpoints = tempfile.mkdtemp(prefix="checkpoints-")
    config = SFTConfig(
        output_dir=checkpoints,
        disable_tqdm=True,
        num_train_epochs=hyper.epochs,
        max_steps=hyper.max_steps,
        per_device_train_batch_size=hyper.batch_size,
        gradient_accumulation_steps=hyper.gradient_accumulation,
        learning_rate=hyper.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=hyper.warmup_ratio,
        max_length=hyper.max_length,
        packing=hyper.packing,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        seed=hyper.seed,
        use_cpu=device["use_cpu"],
        bf16=device["bf16"],
        optim=device["optim"],
        activation_checkpointing=device["activation_checkpointing"],
        activation_checkpointing_kwargs={"use_reentrant": False},
        dataset_num_proc=None,
    )
    peft_config = LoraConfig(
        r=hyper.r,
        lora_alpha=hyper.alpha,
        lora_dropout=hyper.dropout,
        target_modules=list(hyper.target_modules),
        task_type="CAUSAL_LM",
    )
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=Dataset.from_list(examples),
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[LogLines()],
    )
    started = time.monotonic()
    try:
        outcome = trainer.train()
    finally:
        shutil.rmtree(checkpoints, ignore_errors=True)
    trainer.model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    metrics = {
        "train_loss": outcome.training_loss,
        "steps": outcome.global_step,
        "seconds": round(time.monotonic() - started, 3),
        "examples": len(examples),
    }
    metadata = {
        "base_model": base_model,
        "head": str(head),
        "data_sha256": lines_digest(lines),
        "lines": len(lines),
        "hyper_parameters": asdict(hyper),
        "device": device["device"],
        "metrics": metrics,
    }
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=True))
    log(json.dumps({"event": "saved", "adapter_dir": str(out)}))
    return TrainingResult(str(out), metrics, metadata, device["device"])
