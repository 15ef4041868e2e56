from django.core.exceptions import ValidationError
from django.db import transaction

from engines.models import AdapterHead, EngineBuild

MAX_HOLD_MINUTES = 24 * 60


@transaction.atomic
def engine_build_register(
    *,
    engine_id: str,
    description: str = "",
    endpoint_url: str = "",
    served_model: str = "",
    json_dialect: str = "",
    model_path: str = "",
    lora_modules: dict | None = None,
    lora_ranks: dict | None = None,
    adapter: str = "",
    max_concurrency: int | None = None,
    head: str = AdapterHead.VOICE,
) -> EngineBuild:
    """Adds a build to the registry (validated), or updates how it is reached and, for a
    do-gpu build, what its machine serves."""
    build = EngineBuild.objects.filter(engine_id=engine_id).first() or EngineBuild(
        engine_id=engine_id
    )
    build.description = description
    build.endpoint_url = endpoint_url
    build.served_model = served_model
    build.json_dialect = json_dialect
    build.model_path = model_path
    build.lora_modules = lora_modules or {}
    build.lora_ranks = {
        name: rank for name, rank in (lora_ranks or {}).items() if name in build.lora_modules
    }
    build.adapter = adapter
    build.max_concurrency = max_concurrency
    build.head = head
    if adapter and adapter not in build.lora_modules:
        raise ValidationError({"adapter": [f"'{adapter}' is not one of the build's LoRA heads."]})
    build.full_clean()
    build.save()
    return build


@transaction.atomic
def build_concurrency_set(*, engine_id: str, max_concurrency: int | None, user) -> EngineBuild:
    """How many model calls the workers keep in flight against a build (None: its kind's
    default); the change is kept in the build's history with who made it."""
    build = EngineBuild.objects.select_for_update().filter(engine_id=engine_id).first()
    if build is None:
        raise ValidationError({"engine_id": [f"'{engine_id}' is not a registered build."]})
    build.max_concurrency = max_concurrency
    build.full_clean()
    build._history_user = user
    build._change_reason = "max_concurrency"
    build.save()
    return build
