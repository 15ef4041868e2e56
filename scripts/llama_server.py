"""llama-cpp-python's OpenAI-compatible server, with this project's chat templates.

The GGUF files from PyPI carry no chat template, and llama-cpp-python would fall back to
Llama 2's format; the templates the trainer renders (engines/training/chat_template.py)
are registered here under their ``chat_format`` names before the server starts.
"""

from llama_cpp.llama_chat_format import Jinja2ChatFormatter, LlamaChatCompletionHandlerRegistry
from llama_cpp.server.__main__ import main

from engines.training.chat_template import CHAT_FORMATS, CHAT_TEMPLATES

BOS, EOS = "<bos>", "<eos>"


def register_chat_formats() -> None:
    registry = LlamaChatCompletionHandlerRegistry()
    for architecture, name in CHAT_FORMATS.items():
        formatter = Jinja2ChatFormatter(
            template=CHAT_TEMPLATES[architecture], eos_token=EOS, bos_token=BOS
        )
        registry.register_chat_completion_handler(name, formatter.to_chat_handler(), overwrite=True)


if __name__ == "__main__":
    register_chat_formats()
    main()
