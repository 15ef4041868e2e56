"""schemathesis against the OpenAPI schema: every operation, as every role, with generated
input. No response may be a 5xx or break the documented response schema.

Bounded for `make test` (SCHEMATHESIS_EXAMPLES examples per operation, default 5); raise
it locally for a deeper run.
"""

import json
import os

import pytest
import schemathesis
from django.core import signals as signal
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from core.roles import Role
from tests import test_permissions

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "5"))
ROLES = (None, Role.COWORKER, Role.OPERATOR, Role.ADMIN, Role.CLIENT)


def _api_schema():
    """The schema drf-spectacular generates (no request or database needed), on the WSGI app."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(generated)))
    loaded.app = application
    return loaded


schema = _api_schema()
pytestmark = [
    pytest.mark.django_db,
    # werkzeug's test client leaves spooled request bodies for the collector to close.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture
def keep_test_connection():
    """As Django's test client does: the WSGI app must not close the connection that holds
    the test's transaction when a request starts or finishes."""
    signal.request_started.disconnect(close_old_connections)
    signal.request_finished.disconnect(close_old_connections)
    yield
    signal.request_started.connect(close_old_connections)
    signal.request_finished.connect(close_old_connections)


@pytest.fixture
def role_headers(make_user, canon, keep_test_connection):
    headers = {None: {}}
    for role in ROLES[1:]:
        _, token = AuthToken.objects.create(make_user(f"fuzz-{role.value}", role))
        headers[role] = {"Authorization": f"Token {token}"}
    return headers


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    # The same examples on every run: CI stays reproducible; raise the count to explore.
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_server_errors_and_no_schema_violations(case, role_headers):
    for role in ROLES:
        response = case.call(headers=role_headers[role])
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} as {role}: {response.status_code}"
        )
        # Every status answered is documented (errors too: core/schema_errors.py), and
        # every response keeps its documented schema and content type.
        case.validate_response(
            response,
            checks=[
                status_code_conformance,
                response_schema_conformance,
                content_type_conformance,
            ],
        )


# What a schema-following generator never sends: bodies of the wrong shape altogether.
MISSHAPEN_BODIES = ([], ["x"], "text", 12, None, True, {"": None}, {"a": {"b": [1, {}]}})
# The permissions matrix's callers and objects: every endpoint's path filled with rows
# that exist, so a body reaches the endpoint's validation instead of a 404.
callers = test_permissions.callers
objects = test_permissions.objects


def test_every_write_endpoint_answers_a_misshapen_body_without_a_server_error(
    objects, callers, api_for
):
    """Every API write endpoint of the permissions matrix (whose walk of the URL resolver
    makes sure none is missing), as an admin, with each misshapen body."""
    names = {name: getattr(value, "id", "") for name, value in vars(objects).items()}
    endpoints = {
        (method, path.format(**names))
        for method, path, _, _ in test_permissions.MATRIX
        if path.startswith("/api/") and method in ("POST", "PUT", "PATCH")
    }
    server_errors = []
    for method, url in sorted(endpoints):
        for body in MISSHAPEN_BODIES:
            # A fresh token each time: the logout endpoints revoke the one they are sent.
            api = api_for(callers["admin"])
            response = api.generic(method, url, json.dumps(body), content_type="application/json")
            if response.status_code >= 500:
                server_errors.append((method, url, body))
    assert len(endpoints) >= 30
    assert server_errors == []
