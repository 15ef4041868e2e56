"""A tiny causal LM built on the spot: a word-level tokenizer trained on the given texts,
with a chat template, and a two-layer Llama with random weights. No hub download exists
here; this is the base model the trainer's tests fine-tune on the CPU in seconds."""

import json
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|> {{ message['content'] }} <|end|> "
    "{% endfor %}{% if add_generation_prompt %}<|assistant|> {% endif %}"
)
SPECIAL = ["<pad>", "<unk>", "<bos>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]


SYSTEM = "You draft short friendly replies ."


def chat_line(day: int) -> str:
    """One SFT line of a pattern a tiny model can learn in a few steps."""
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Hi are you free on day {day} ?"},
        {"role": "assistant", "content": f"Yes , day {day} works . See you soon !"},
    ]
    return json.dumps({"messages": messages, "metadata": {"day": day}})


SAMPLE_LINES = [chat_line(n % 7) for n in range(24)]


def build_tiny_lm(folder: Path, texts: list[str] | None = None, *, seed: int = 0) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    core = Tokenizer(models.WordLevel(unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    if texts is None:
        texts = [turn["content"] for line in SAMPLE_LINES for turn in json.loads(line)["messages"]]
    core.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=SPECIAL))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        unk_token="<unk>",
        bos_token="<bos>",
        eos_token="<|end|>",
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
