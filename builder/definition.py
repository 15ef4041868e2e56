"""Workflow definitions: the JSON Schema (Draft 2020-12) plus the rules a schema cannot say.

The API, the editor and import all validate through ``validate_definition``; errors are
keyed by field path (``steps[2].maxChars``), for the editor to put each next to its field
and for API clients, and each message is a sentence about the field a person sees
(``builder.definition_errors``).
"""

import json
import re
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

from builder.definition_errors import owner_name, schema_error_sentence, sentence, step_name
from builder.taxonomy import Archetype, ThreadState

SCHEMA_FILE = Path(__file__).with_name("workflow.schema.json")
_REQUIRED = re.compile(r"^'([^']+)' is a required property$")


class DefinitionInvalid(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(" ".join(message for messages in errors.values() for message in messages))
        self.errors = errors


@cache
def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text())


@cache
def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(schema())
    return Draft202012Validator(schema())


def format_path(parts) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(definition)"


def _schema_errors(definition) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in _validator().iter_errors(definition):
        parts = list(error.absolute_path)
        fields = [parts]
        if error.validator == "required" and (match := _REQUIRED.match(error.message)):
            fields = [[*parts, match[1]]]
        elif error.validator == "additionalProperties":
            known = error.schema.get("properties", {})
            fields = [[*parts, key] for key in error.instance if key not in known]
        for field in fields:
            messages = errors.setdefault(format_path(field), [])
            # One mistake can break several branches of the schema, each saying the same.
            if (message := schema_error_sentence(error, definition, field)) not in messages:
                messages.append(message)
    return errors


def _rule_errors(definition: dict, snippet_exists) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    steps = definition["steps"]
    drafts = [index for index, step in enumerate(steps) if "draft" in step]
    if not drafts:
        errors["steps"] = ["The workflow needs a draft step, last, to write the reply."]
    elif len(drafts) > 1:
        errors["steps"] = [
            f"The workflow has {len(drafts)} draft steps; it needs exactly one, the last."
        ]
    elif drafts[0] != len(steps) - 1:
        errors[f"steps[{drafts[0]}]"] = [
            sentence(f"{step_name(definition, drafts[0])} must be the last step: ")
            + "think steps come before it."
        ]
    applies_to = definition.get("appliesTo", {})
    for field, choices in (("archetypes", Archetype.choices), ("states", ThreadState.choices)):
        codes = [code for code, _ in choices]
        for index, value in enumerate(applies_to.get(field, [])):
            if value not in codes:
                item = sentence(owner_name(definition, ["appliesTo", field, index]))
                known = ", ".join(f"{code} ({words})" for code, words in choices)
                errors[f"appliesTo.{field}[{index}]"] = [
                    f"{item}, “{value}”, is not one we know: use one of {known}."
                ]
    for index, item in enumerate(definition.get("context", [])):
        if "snippet" in item and not snippet_exists(item["snippet"], item.get("version")):
            version = f" version {item['version']}" if "version" in item else ""
            errors[f"context[{index}].snippet"] = [
                f"There is no snippet {item['snippet']}{version}."
            ]
    return errors


def validate_definition(definition, *, snippet_exists) -> dict:
    """Returns the definition if valid; raises ``DefinitionInvalid`` with every error by path.

    ``snippet_exists(ref, version)`` says whether a referenced snippet (version) exists.
    """
    errors = _schema_errors(definition)
    if not errors:
        errors = _rule_errors(definition, snippet_exists)
    if errors:
        raise DefinitionInvalid(errors)
    return definition


# Keys that definitions from older installs carry and that no longer mean anything, with
# why each is dropped. A workflow used to name its engine; production ignored it while the
# preview ran on it, so one rule (prospects/deciding/routing.py) now chooses the engine for both.
RETIRED_KEYS = {
    "engine": (
        "dropped: a workflow no longer names its engine; the active draft engine, or the "
        "experiment arm a thread is assigned to, runs it."
    ),
}


def without_retired_keys(definition) -> tuple[object, list[str]]:
    """The definition without retired keys, and a note per key dropped (for an import
    report or an API warning). Anything but a mapping is returned as it is, for
    ``validate_definition`` to refuse."""
    if not isinstance(definition, dict):
        return definition, []
    dropped = [key for key in RETIRED_KEYS if key in definition]
    kept = {key: value for key, value in definition.items() if key not in RETIRED_KEYS}
    return kept, [f"{key}: {RETIRED_KEYS[key]}" for key in dropped]


def canonical(definition: dict) -> dict:
    """Orders keys as the schema lists them, so files read the same way every time."""
    order = list(schema()["properties"])
    step_order = ["think", "draft", "maxChars"]
    result = {key: definition[key] for key in order if key in definition}
    if "appliesTo" in result:
        result["appliesTo"] = {
            key: result["appliesTo"][key]
            for key in ("archetypes", "states", "templateKeys")
            if key in result["appliesTo"]
        }
    if "steps" in result:
        result["steps"] = [
            {key: step[key] for key in step_order if key in step} for step in result["steps"]
        ]
    return result
