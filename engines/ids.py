"""Engine ids: the one place that parses and validates them.

``template`` is the zero-dependency baseline. Every other id names an OSS model build
reached over an OpenAI-compatible endpoint: ``<provider>-<model>_<build>``, e.g.
``do-gpu-mistral-nemo-12b-uncensored_2026-06-29.1``. The build pins the weights so each
decision traces to the model that made it.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ValidationError

TEMPLATE_ENGINE_ID = "template"
MAX_ENGINE_ID_LENGTH = 120


class Provider(StrEnum):
    DO_GPU = "do-gpu"  # an on-demand DigitalOcean GPU droplet, lifecycle-managed
    ENDPOINT = "endpoint"  # an always-on URL that someone already runs


_MODEL = r"[a-z0-9](?:[a-z0-9.\-]*[a-z0-9])?"
_BUILD = r"[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?"
_MODEL_ID = re.compile(
    rf"^(?P<provider>{'|'.join(re.escape(p.value) for p in Provider)})-"
    rf"(?P<model>{_MODEL})_(?P<build>{_BUILD})$"
)


class InvalidEngineId(ValueError):
    pass


@dataclass(frozen=True)
class EngineId:
    value: str
    provider: Provider | None = None
    model: str | None = None
    build: str | None = None

    @property
    def is_template(self) -> bool:
        return self.provider is None

    def __str__(self) -> str:
        return self.value


def parse_engine_id(value: str) -> EngineId:
    """Returns the parsed id or raises ``InvalidEngineId`` with a message a person can act on."""
    if not isinstance(value, str) or not value:
        raise InvalidEngineId("An engine id is required.")
    if len(value) > MAX_ENGINE_ID_LENGTH:
        raise InvalidEngineId(f"An engine id has at most {MAX_ENGINE_ID_LENGTH} characters.")
    if value == TEMPLATE_ENGINE_ID:
        return EngineId(value)
    match = _MODEL_ID.match(value)
    if match is None:
        providers = ", ".join(p.value for p in Provider)
        raise InvalidEngineId(
            f"'{value}' is not an engine id: use 'template' or "
            f"'<provider>-<model>_<build>' with provider one of {providers}, a lower-case "
            "model name and a build tag, e.g. 'endpoint-gemma3-270m_2026-11-23.1'."
        )
    return EngineId(
        value,
        provider=Provider(match["provider"]),
        model=match["model"],
        build=match["build"],
    )


def validate_engine_id(value: str) -> None:
    """Django field validator wrapping ``parse_engine_id``."""
    try:
        parse_engine_id(value)
    except InvalidEngineId as error:
        raise ValidationError(str(error), code="invalid_engine_id") from error
