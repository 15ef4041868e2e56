from django.db import transaction

from engines.models import EngineBuild


@transaction.atomic
def engine_build_register(
    *, engine_id: str, description: str = "", endpoint_url: str = ""
) -> EngineBuild:
    """Adds a build to the registry (validated), or updates its description and URL."""
    build = EngineBuild.objects.filter(engine_id=engine_id).first() or EngineBuild(
        engine_id=engine_id
    )
    build.description = description
    build.endpoint_url = endpoint_url
    build.full_clean()
    build.save()
    return build
