"""What the API's schema says about input, beyond what drf-spectacular reads from each
field: one rule each, applied to every operation at once.

- An optional query parameter sent empty (``?move=``) is the same as one left out: DRF's
  serializers and django-filter both read it so (a panel's filter form sends every field),
  so the schema allows the empty value (``allowEmptyValue``).
- No text the API reads may hold a NUL (``core.parsers`` refuses it before any view): a
  string the schema leaves otherwise unconstrained says so with a pattern.
- A request body holds the properties its schema names and no others: the API ignores
  unknown ones, but a client cannot count on that.
- A nested list's bounds (``ArmSerializer(many=True, min_length=2)``) are its
  ``minItems``/``maxItems``, as a ``ListField``'s already are.
- A blank-allowed text with a pattern is "the pattern or empty" as ``anyOf``:
  drf-spectacular writes ``oneOf``, which refuses "" where the pattern takes it too.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

NO_NUL_PATTERN = r"^[^\u0000]*$"
# What a schema of these kinds already constrains further than "any text".
CONSTRAINED_STRING = {"pattern", "format", "enum"}


class AutoSchema(SpectacularAutoSchema):
    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if getattr(field, "allow_blank", False) and "oneOf" in schema:
            schema["anyOf"] = schema.pop("oneOf")

    def _unwrap_list_serializer(self, serializer, direction):
        schema = super()._unwrap_list_serializer(serializer, direction)
        if schema and schema.get("type") == "array":
            for bound, key in (("min_length", "minItems"), ("max_length", "maxItems")):
                if getattr(serializer, bound, None) is not None:
                    schema[key] = getattr(serializer, bound)
        return schema


def describe_inputs(result, generator, request, public):
    """The postprocessing hook for the rules above."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "query":
                    continue
                if not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
                _forbid_nul(parameter.get("schema", {}))
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _close_and_forbid_nul(component)
    return result


def _close_and_forbid_nul(schema: dict) -> None:
    if schema.get("type") == "object" and "properties" in schema:
        schema.setdefault("additionalProperties", False)
        for property_schema in schema["properties"].values():
            _forbid_nul(property_schema)
            if property_schema.get("type") == "array":
                _forbid_nul(property_schema.get("items", {}))


def _forbid_nul(schema: dict) -> None:
    if schema.get("type") == "string" and not CONSTRAINED_STRING & schema.keys():
        schema["pattern"] = NO_NUL_PATTERN
