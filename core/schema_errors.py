"""The API's errors in its schema: one documented shape, on every operation that can
answer it (a drf-spectacular postprocessing hook).

Every error body is an object: ``detail`` for an error about the request as a whole (not
signed in, not allowed, not found, a conflict, too many requests), or one key per field
in error with its messages (a nested field nests the same way, ``arms`` -> ``[{},
{"weight": [...]}]``). Which statuses an operation can answer follows from how the API
is built, so they are added here once rather than on every view:

- 400: it reads a body or query parameters (field errors, ``core.api_errors``);
- 401 and 403: it is not public (knox tokens, ``core.roles``), or checks a bearer token of
  its own (a droplet's, a training run's);
- 404: its path names an object, or it pages (a page past the last, a cursor it did not
  give);
- 409: it acts on a named object whose state may forbid it (a draft already reviewed, a
  version already published);
- 429: every operation is throttled (DRF's anonymous and user rates).
"""

ERROR_SCHEMA = "Error"
ERROR_COMPONENT = {
    "type": "object",
    "description": "An error: `detail` for the request as a whole, else one key per field "
    "in error with its messages (nested fields nest the same way).",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {},
}
WORDS = {
    "400": "Bad input: each field in error with its messages.",
    "401": "No credentials, or a token that expired or was revoked.",
    "403": "Signed in without a role that may do this.",
    "404": "No such object.",
    "409": "The object's state does not allow it now.",
    "429": "Too many requests: wait and try again.",
}
WRITES = {"post", "put", "patch", "delete"}


def add_error_responses(result, generator, request, public):
    """Adds the error statuses each operation can answer, all with the ``Error`` shape,
    where the view did not document its own."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_SCHEMA] = ERROR_COMPONENT
    reference = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
    for path, operations in result.get("paths", {}).items():
        names_object = "{" in path
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status in _statuses(method, operation, names_object):
                operation["responses"].setdefault(
                    status,
                    {
                        "description": WORDS[status],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result


def _statuses(method: str, operation: dict, names_object: bool) -> list[str]:
    statuses = ["429"]
    if operation.get("requestBody") or operation.get("parameters"):
        statuses.append("400")
    # drf-spectacular lists {} among a public operation's securities; only the token
    # endpoint is open to anyone, the others public here check a bearer token of their own.
    if {} not in operation.get("security", [{}]) or names_object:
        statuses += ["401", "403"]
    pages = any(
        parameter.get("name") in {"page", "cursor"} for parameter in operation.get("parameters", [])
    )
    if names_object or pages:
        statuses.append("404")
    if names_object and method in WRITES:
        statuses.append("409")
    return statuses
