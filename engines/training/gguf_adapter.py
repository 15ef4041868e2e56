"""A PEFT LoRA adapter as the GGUF adapter file llama.cpp loads beside its base model.

llama.cpp names each adapted tensor after the base tensor it changes, plus ``.lora_a`` or
``.lora_b``, and reads the scale as ``adapter.lora.alpha`` / rank. PEFT's matrices go in as
they are: A is (rank, in) and B is (out, rank), which is the layout llama.cpp checks for.
"""

import json
from pathlib import Path

ADAPTER_FILE = "adapter.gguf"
_PEFT_PREFIX = "base_model.model."


def adapter_to_gguf(adapter_dir: str | Path, *, architecture: str, block_count: int) -> Path:
    """Writes ``adapter.gguf`` into ``adapter_dir`` (where PEFT saved the adapter)."""
    import gguf
    import numpy
    from safetensors.numpy import load_file

    folder = Path(adapter_dir)
    config = json.loads((folder / "adapter_config.json").read_text())
    tensors = load_file(folder / "adapter_model.safetensors")
    arch = next(key for key, name in gguf.MODEL_ARCH_NAMES.items() if name == architecture)
    names = gguf.get_tensor_name_map(arch, block_count)
    out = folder / ADAPTER_FILE
    writer = gguf.GGUFWriter(out, architecture)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    for key in sorted(tensors):
        module, _, part = key.removeprefix(_PEFT_PREFIX).partition(".lora_")
        base_name = names.get_name(module)
        if base_name is None or part not in ("A.weight", "B.weight"):
            raise ValueError(f"'{key}' is not a LoRA matrix of a {architecture} tensor.")
        suffix = "lora_a" if part.startswith("A") else "lora_b"
        array = numpy.ascontiguousarray(tensors[key], dtype=numpy.float32)
        writer.add_tensor(f"{base_name}.weight.{suffix}", array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out
