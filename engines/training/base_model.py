"""The base weights a LoRA trains on, from the GGUF file the local server serves.

transformers reads a GGUF file's tensors (dequantised) and tokenizer into a PyTorch model;
PEFT cannot train that model in place (transformers marks it quantised), so it is written
once to a plain model folder beside the file and trained from there. Adapters trained on
it apply to the GGUF itself: the dequantised tensors are the served ones, value for value.
No Django: a training droplet imports this too.
"""

import json
from pathlib import Path

from engines.training.chat_template import CHAT_TEMPLATES

SOURCE_FILE = "source.json"


def gguf_architecture(path: str | Path) -> tuple[str, int]:
    """The file's ``general.architecture`` and its block (layer) count."""
    from gguf import GGUFReader

    fields = GGUFReader(str(path)).fields
    architecture = fields["general.architecture"].contents()
    return architecture, int(fields[f"{architecture}.block_count"].contents())


def _source(path: Path) -> dict:
    stat = path.stat()
    return {"gguf": path.name, "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def base_model_folder(base_model: str, log=print) -> str:
    """``base_model`` when it is a model folder; for a ``.gguf`` file, the folder converted
    from it (made on the first call, reused while the file is unchanged)."""
    path = Path(base_model)
    if path.suffix != ".gguf":
        return base_model
    folder = path.with_name(f"{path.stem}-hf")
    marker = folder / SOURCE_FILE
    source = _source(path)
    if marker.exists() and json.loads(marker.read_text()).get("source") == source:
        return str(folder)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    architecture, block_count = gguf_architecture(path)
    if architecture not in CHAT_TEMPLATES:
        raise ValueError(f"No chat template is known for '{architecture}' models.")
    log(json.dumps({"event": "converting", "gguf": str(path)}))
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    tokenizer.chat_template = CHAT_TEMPLATES[architecture]
    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name)
    # The tensors are plain float32 now; only the flag says "quantised" and refuses to save.
    model.hf_quantizer = None
    model.config.quantization_config = None
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    marker.write_text(
        json.dumps(
            {"source": source, "architecture": architecture, "block_count": block_count},
            indent=2,
        )
    )
    return str(folder)


def folder_architecture(folder: str | Path) -> tuple[str, int] | None:
    """The GGUF architecture and block count a converted folder came from; None for a
    folder that was not converted from a GGUF file (its adapter is not converted back)."""
    marker = Path(folder) / SOURCE_FILE
    if not marker.exists():
        return None
    source = json.loads(marker.read_text())
    return source["architecture"], source["block_count"]
