"""Every URL the project serves, read from the resolver, for the permission and CSRF walks."""

import re
import uuid
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Django's own admin checks staff itself; it is not one of Prospector's surfaces.
ADMIN_PREFIX = "django-admin/"

# A value for each path converter: enough to resolve, not necessarily an existing row.
_SAMPLE = {"uuid": str(uuid.UUID(int=1)), "int": "1", "str": "x", "slug": "x", "path": "x"}
_PARAMETER = re.compile(r"<(?:(\w+):)?\w+>")


@dataclass(frozen=True)
class Route:
    route: str  # as ResolverMatch.route names it
    view: object

    @property
    def example(self) -> str:
        return "/" + _PARAMETER.sub(lambda m: _SAMPLE[m.group(1) or "str"], self.route)

    @property
    def api_view(self):
        """The DRF view class, or None for a plain Django view."""
        return getattr(self.view, "cls", None)


def routes(resolver: URLResolver | None = None, prefix: str = ""):
    """Every pattern of the URLconf, recursively, except Django's admin."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(ADMIN_PREFIX):
            continue
        if isinstance(pattern, URLResolver):
            yield from routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield Route(route, pattern.callback)
