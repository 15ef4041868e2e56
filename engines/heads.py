"""The heads a LoRA adapter trains: plain names, so the trainer (no Django, it also runs on a
training droplet) and the models share them."""

from enum import StrEnum

from engines.ids import parse_engine_id


class Head(StrEnum):
    VOICE = "voice"
    CLASSIFIER = "classifier"


def served_adapter_name(head: str, engine_id: str) -> str:
    """What a request's ``model`` field names to get a build's adapter: the head and the
    build part of its engine id (``voice-2026-12-07.1``). The local model server derives it
    from an adapter's folder, which is named after the engine id."""
    return f"{head}-{parse_engine_id(engine_id).build}"
