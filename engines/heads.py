"""The heads a LoRA adapter trains: plain names, so the trainer (no Django, it also runs on a
training droplet) and the models share them."""

from enum import StrEnum


class Head(StrEnum):
    VOICE = "voice"
    CLASSIFIER = "classifier"
