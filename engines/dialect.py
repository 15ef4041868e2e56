from django.db import models


class Dialect(models.TextChoices):
    """How an endpoint takes a JSON Schema for structured output."""

    OPENAI = "openai", "OpenAI / vLLM: response_format json_schema"
    LLAMA_CPP = "llama_cpp", "llama-cpp-python: response_format json_object + schema"
