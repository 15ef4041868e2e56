from django.db import transaction

from engines.models import EngineBuild


@transaction.atomic
def engine_build_register(
    *,
    engine_id: str,
    description: str = "",
    endpoint_url: str = "",
    served_model: str = "",
    json_dialect: str = "",
) -> EngineBuild:
    """Adds a build to the registry (validated), or updates how it is reached."""
    build = EngineBuild.objects.filter(engine_id=engine_id).first() or EngineBuild(
        engine_id=engine_id
    )
    build.description = description
    build.endpoint_url = endpoint_url
    build.served_model = served_model
    build.json_dialect = json_dialect
    build.full_clean()
    build.save()
    return build
