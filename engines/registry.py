"""Maps an engine id to the engine that drafts for it, a build to its endpoint, and a
local classifier build to its head loaded in this process."""

import hashlib
import random
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings

from engines.base import DraftEngine, EngineError
from engines.dialect import Dialect
from engines.holds import HoldReason
from engines.ids import Provider, parse_engine_id
from engines.inference import InferenceClient
from engines.model_engine import ModelEngine
from engines.models import EngineBuild, MoveHeadArtefact
from engines.models.gpu import GpuInstance
from engines.move_head import HeadUnusable, MoveHead
from engines.sealed import unseal
from engines.template import TemplateEngine


@dataclass(frozen=True)
class Endpoint:
    url: str
    model: str
    dialect: Dialect
    # What the client sends and pins: a GPU droplet's own key and certificate; for an
    # endpoint build, GPU_API_KEY and the system's CAs.
    api_key: str = field(default="", repr=False)
    certificate: str = field(default="", repr=False)


def endpoint_for(engine_id: str) -> Endpoint | None:
    """Where a model build is served now: a do-gpu build at a ready GPU instance (none while
    the lifecycle has not booted one); an endpoint build at its registered URL, else
    ``GPU_INFERENCE_URL``. Requests name the build's adapter when it has one. A local
    build is served by no endpoint: it runs in the asking process (``move_head_for``)."""
    if parse_engine_id(engine_id).runs_in_process:
        return None
    build = EngineBuild.objects.filter(engine_id=engine_id).first()
    model = (build.adapter or build.served_model if build else "") or settings.GPU_LLM_MODEL
    dialect = Dialect((build.json_dialect if build else "") or settings.GPU_JSON_DIALECT)
    if parse_engine_id(engine_id).provider == Provider.DO_GPU:
        instance = _ready_instance(engine_id, build.adapter if build else "")
        if instance is None or not model:
            return None
        return instance_endpoint(instance, model=model, dialect=dialect)
    url = (build.endpoint_url if build else "") or settings.GPU_INFERENCE_URL
    if not url or not model:
        return None
    return Endpoint(url=url, model=model, dialect=dialect, api_key=settings.GPU_API_KEY)


def instance_endpoint(instance: GpuInstance, *, model: str, dialect: Dialect) -> Endpoint:
    """A GPU instance's endpoint, with the key and certificate made for its droplet."""
    return Endpoint(
        url=instance.endpoint_url,
        model=model,
        dialect=dialect,
        api_key=unseal(instance.api_key_sealed),
        certificate=instance.tls_certificate,
    )


def _ready_instance(engine_id: str, adapter: str = "") -> GpuInstance | None:
    """A ready machine booted for the build, or one that loads its adapter as a companion
    (the live classifier's head on the drafter's machine, so its calls keep it warm)."""
    ready = GpuInstance.objects.serving().filter(state=GpuInstance.State.READY)
    # A handful at most; read in Python because SQLite (the demo) has no JSON containment.
    serving = [
        instance
        for instance in ready
        if instance.engine_id == engine_id or (adapter and adapter in instance.adapters)
    ]
    # Several ready instances share the load at random: no state to keep for it.
    return random.choice(serving) if serving else None


_clients: dict[tuple[str, str, str, str], InferenceClient] = {}


def client_for(endpoint: Endpoint) -> InferenceClient:
    """One pooled client per endpoint and process. A droplet's key and certificate are part
    of what identifies it: a new droplet on a reused address gets a client of its own."""
    key = (endpoint.url, endpoint.dialect, endpoint.api_key, endpoint.certificate)
    if key not in _clients:
        _clients[key] = InferenceClient(
            endpoint.url,
            dialect=endpoint.dialect,
            api_key=endpoint.api_key,
            certificate=endpoint.certificate,
            seed=settings.GPU_SEED,
        )
    return _clients[key]


def clients_close() -> None:
    """Closes this process's pooled clients (after a settings change, and in tests)."""
    for client in _clients.values():
        client.close()
    _clients.clear()


def engine_for(engine_id: str) -> DraftEngine:
    """The engine for ``engine_id``; ``EngineError`` when none can draft for it now."""
    parsed = parse_engine_id(engine_id)
    if parsed.is_template:
        return TemplateEngine()
    if parsed.runs_in_process:
        raise EngineError(
            HoldReason.ENGINE_ERROR,
            f"'{engine_id}' is an in-process move head: it decides moves, it does not draft.",
            permanent=True,
        )
    endpoint = endpoint_for(engine_id)
    if endpoint is None:
        raise EngineError(
            HoldReason.ENGINE_UNAVAILABLE,
            f"No endpoint serves '{engine_id}': set its endpoint URL and served model, "
            "or GPU_INFERENCE_URL and GPU_LLM_MODEL.",
            permanent=False,
        )
    return ModelEngine(engine_id=engine_id, client=client_for(endpoint), model=endpoint.model)


def move_head_for(engine_id: str) -> MoveHead:
    """The head of a local build, loaded from the database once per process. An engine id
    pins its artefact (a retrain registers a new build), so the cache never goes stale,
    and a build promoted by another process is loaded here the first time the settings
    name it: no restart. ``HeadUnusable`` when it cannot be loaded."""
    head = _stored_head(engine_id)
    if isinstance(head, str):
        raise HeadUnusable(head)
    return head


# A few builds at most are asked in a process's life (the live one, the one before it
# while a promotion lands); each holds its n-gram vocabularies, some megabytes. Why one
# cannot be loaded is kept too: it would not load on the next message either, and trying
# costs a query and an unpickling on every ingest.
@lru_cache(maxsize=4)
def _stored_head(engine_id: str) -> MoveHead | str:
    row = MoveHeadArtefact.objects.filter(build__engine_id=engine_id).first()
    if row is None:
        return f"'{engine_id}' has no stored head"
    data = bytes(row.artefact)
    if hashlib.sha256(data).hexdigest() != row.sha256:
        return f"'{engine_id}': the stored head does not match its sha256"
    try:
        return MoveHead.loads(data)
    except HeadUnusable as error:
        return f"'{engine_id}': {error}"


def move_heads_forget() -> None:
    """Drops this process's loaded heads (tests, whose databases reuse build ids)."""
    _stored_head.cache_clear()
