"""The pieces between PEFT and llama.cpp: one chat template rendered alike by the trainer
(transformers) and the local server (llama-cpp-python), and an adapter written as the GGUF
file llama.cpp loads."""

import json

from engines.training.chat_template import GEMMA3
from engines.training.gguf_adapter import ADAPTER_FILE, adapter_to_gguf
from engines.training.trainer import HyperParameters, train_adapter
from tests.support.tiny_lm import SAMPLE_LINES

MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Free on Friday?"},
    {"role": "assistant", "content": "Friday works. Which time suits you?"},
    {"role": "user", "content": "  Seven?  "},
]
EXPECTED = (
    "<bos><start_of_turn>user\nBe brief.\n\nFree on Friday?<end_of_turn>\n"
    "<start_of_turn>model\nFriday works. Which time suits you?<end_of_turn>\n"
    "<start_of_turn>user\nSeven?<end_of_turn>\n<start_of_turn>model\n"
)


def test_the_trainer_and_the_server_render_the_same_gemma_prompt(tiny_base):
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_base)
    tokenizer.chat_template = GEMMA3
    tokenizer.bos_token = "<bos>"
    trained = tokenizer.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
    served = Jinja2ChatFormatter(template=GEMMA3, eos_token="<eos>", bos_token="<bos>")(
        messages=MESSAGES
    ).prompt
    assert trained == served == EXPECTED


def test_an_adapter_is_written_as_llama_cpp_lora_tensors(tiny_base, tmp_path):
    import numpy
    from gguf import GGUFReader
    from safetensors.numpy import load_file

    hyper = HyperParameters(max_steps=2, batch_size=4, max_length=64, r=4, alpha=8)
    train_adapter(base_model=str(tiny_base), lines=SAMPLE_LINES, out_dir=tmp_path, hyper=hyper)

    path = adapter_to_gguf(tmp_path, architecture="llama", block_count=2)

    assert path == tmp_path / ADAPTER_FILE
    reader = GGUFReader(str(path))
    assert reader.fields["general.type"].contents() == "adapter"
    assert reader.fields["adapter.type"].contents() == "lora"
    assert reader.fields["adapter.lora.alpha"].contents() == 8.0
    tensors = {tensor.name: tensor for tensor in reader.tensors}
    # Two layers, seven projections, an A and a B each.
    assert len(tensors) == 2 * 7 * 2
    peft = load_file(tmp_path / "adapter_model.safetensors")
    a = peft["base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight"]
    b = peft["base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"]
    assert a.shape[0] == 4
    assert b.shape[1] == 4
    numpy.testing.assert_array_equal(tensors["blk.1.attn_q.weight.lora_a"].data, a)
    numpy.testing.assert_array_equal(tensors["blk.1.ffn_down.weight.lora_b"].data, b)
    assert json.loads((tmp_path / "adapter_config.json").read_text())["lora_alpha"] == 8
