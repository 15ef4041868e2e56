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
from engines.training.base_model import base_model_folder, folder_architecture
from engines.training.gguf_adapter import adapter_to_gguf

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
    # Whole examples, loss on the reply only: packing would teach the prompts too.
    packing: bool = False
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
    has them (bitsandbytes, the `cuda` extra); on the CPU, fp32 weights with bf16 matmuls
    where the CPU has bf16 instructions (1.6x the steps a second on the 2-core machine)."""
    if not torch.cuda.is_available():
        return {
            "device": "cpu",
            "use_cpu": True,
            "bf16": bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()),
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


def _completion_loss_trainer(sft_trainer):
    """SFTTrainer, with logits computed only where they predict a reply token.

    The LM head of a small model is most of its cost (Gemma 3 270M: 262k words by 640),
    and every prompt position would pay for it only to be masked out: on the CPU, keeping
    just the reply's positions made a step 3x faster.
    """
    import torch

    class CompletionLossTrainer(sft_trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            targets = inputs["labels"][:, 1:]
            keep = (targets != -100).any(dim=0).nonzero().squeeze(-1)
            forward = {k: v for k, v in inputs.items() if k != "labels"}
            outputs = model(**forward, use_cache=False, logits_to_keep=keep)
            kept = targets[:, keep]
            loss = torch.nn.functional.cross_entropy(
                outputs.logits.float().flatten(0, 1),
                kept.flatten(),
                ignore_index=-100,
                reduction="sum",
            )
            tokens = num_items_in_batch if num_items_in_batch is not None else (kept != -100).sum()
            loss = loss / torch.as_tensor(tokens).clamp(min=1)
            return (loss, outputs) if return_outputs else loss

    return CompletionLossTrainer


def train_adapter(
    *,
    base_model: str,
    lines: list[str],
    out_dir: str | Path,
    head: Head = Head.VOICE,
    hyper: HyperParameters | None = None,
    log=print,
) -> TrainingResult:
    """Trains a LoRA adapter on ``lines`` (SFT JSONL: ``{"messages": [...], ...}``, the
    last message the reply) over ``base_model``, and writes it all to ``out_dir``.

    ``base_model`` is a model folder with weights and a tokenizer that has a chat
    template, or a GGUF file (converted to such a folder once); from a GGUF file the
    adapter is also written as ``adapter.gguf`` for llama.cpp. ``log`` gets one line per
    event."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    hyper = hyper or default_hyper_parameters(head)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    examples = [_prompt_and_completion(json.loads(line)["messages"]) for line in lines]
    if not examples:
        raise ValueError("No training lines: the export snapshot is empty.")
    device = _device_settings(torch)
    folder = base_model_folder(base_model, log=log)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, quantization_config=_quantization(torch))

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
        completion_only_loss=True,
        # Batches of like lengths: a batch pads to its longest prompt.
        train_sampling_strategy="group_by_length",
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
    trainer = _completion_loss_trainer(SFTTrainer)(
        model=model,
        args=config,
        train_dataset=Dataset.from_list(examples),
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[LogLines()],
    )
    # TRL drops an example whose reply was cut off by max_length: none left is a setting
    # to change, not an empty run.
    if len(trainer.train_dataset) == 0:
        raise ValueError(
            f"No line fits max_length ({hyper.max_length} tokens) with its reply: raise it."
        )
    started = time.monotonic()
    try:
        outcome = trainer.train()
    finally:
        shutil.rmtree(checkpoints, ignore_errors=True)
    trainer.model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    architecture = folder_architecture(folder)
    if architecture is not None:
        name, block_count = architecture
        adapter_to_gguf(out, architecture=name, block_count=block_count)
    metrics = {
        "train_loss": outcome.training_loss,
        "steps": outcome.global_step,
        "seconds": round(time.monotonic() - started, 3),
        "examples": len(trainer.train_dataset),
        "too_long": len(examples) - len(trainer.train_dataset),
    }
    metadata = {
        "base_model": base_model,
        "head": str(head),
        "data_sha256": lines_digest(lines),
        "lines": len(lines),
        "hyper_parameters": asdict(hyper),
        "device": device["device"],
        "bf16": device["bf16"],
        "metrics": metrics,
    }
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=True))
    log(json.dumps({"event": "saved", "adapter_dir": str(out)}))
    return TrainingResult(str(out), metrics, metadata, device["device"])


def _prompt_and_completion(messages: list[dict]) -> dict:
    """A chat line as TRL's prompt-completion example: the loss falls on the reply only."""
    *prompt, reply = messages
    return {"prompt": prompt, "completion": [reply]}
