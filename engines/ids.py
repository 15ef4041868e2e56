"""Engine ids: the one place that parses and validates them.

``template`` is the zero-dependency baseline. Every other id names a build:
``<provider>-<model>_<build>``, e.g. ``do-gpu-mistral-nemo-12b-uncensored_2026-06-29.1``.
The build pins the weights so each decision traces to the model that made it. ``do-gpu``
and ``endpoint`` builds are reached over an OpenAI-compatible endpoint; a ``local`` build
is loaded into the process that asks it (``local-moves-linear_2026-12-07.1``, the linear
move head), and only the models named in ``LOCAL_MODELS`` run that way.
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
    LOCAL = "local"  # loaded into the process that asks it, on its CPU


# What a local build can be: the model names code in this project knows how to load.
LOCAL_MODELS = ("moves-linear",)


_MODEL = r"[a-z0-9](?:[a-z0-9.\-]*[a-z0-9])?"
_BUILD = r"[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?"
_MODEL_ID = re.compile(
    rf"^(?P<provider>{'|'.join(re.escape(p.value) for p in Provider)})-"
    rf"(?P<model>{_MODEL})_(?P<build>{_BUILD})$"
)


def engine_id_pattern(providers: tuple[Provider, ...] = tuple(Provider)) -> str:
    """The grammar of ``parse_engine_id`` for the API's schema (an ECMA regex), so that a
    client generated from it cannot send an id the API refuses; ``template`` is in it
    when every provider is."""
    words = [TEMPLATE_ENGINE_ID] if set(providers) == set(Provider) else []
    remote = [p.value for p in providers if p != Provider.LOCAL]
    if remote:
        words.append(rf"(?:{'|'.join(remote)})-{_MODEL}_{_BUILD}")
    if Provider.LOCAL in providers:
        words.append(rf"{Provider.LOCAL.value}-(?:{'|'.join(LOCAL_MODELS)})_{_BUILD}")
    return rf"^(?:{'|'.join(words)})$"


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

    @property
    def runs_in_process(self) -> bool:
        """Answered inside the asking process, no model server involved (a local build)."""
        return self.provider == Provider.LOCAL

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
    if match["provider"] == Provider.LOCAL and match["model"] not in LOCAL_MODELS:
        raise InvalidEngineId(
            f"'{value}' names no local model: a local build is one of "
            f"{', '.join(LOCAL_MODELS)}, e.g. 'local-moves-linear_2026-12-07.1'."
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
