"""What is wrong with a workflow definition, said about the field a person sees.

jsonschema says ``steps[2].draft: '' should be non-empty``; a person reads "Step 3 (Draft)
needs an instruction." Errors stay keyed by their path (``steps[2].draft``), which the
editor uses to put each next to its field and API clients read; the messages are
sentences. Every keyword ``workflow.schema.json`` uses has its sentence here.
"""

from jsonschema import ValidationError as SchemaError

from core.fields import control_character, control_character_message

# Owner-relative field names: what the owner "needs" when the field is missing or empty,
# and what the field is called when its value is wrong.
NEEDS = {
    "name": "a name",
    "appliesTo": "to say what it applies to (empty lists mean any)",
    "steps": "at least one step",
    "snippet": "a snippet",
    "text": "a snippet or a text",
    "think": "an instruction",
    "draft": "an instruction",
    "maxChars": "a character limit",
}
CALLED = {
    "name": "the name",
    "priority": "the priority",
    "retrieval": "retrieval of past corrections",
    "appliesTo": "what the workflow applies to",
    "archetypes": "the archetypes",
    "states": "the states",
    "templateKeys": "the template keys",
    "context": "the context",
    "steps": "the steps",
    "snippet": "the snippet",
    "version": "the snippet version",
    "text": "the text",
    "think": "the instruction",
    "draft": "the instruction",
    "maxChars": "the character limit",
}
# Text fields that may hold several lines ($defs/text in the schema); the rest is one line.
MULTILINE_FIELDS = ("think", "draft", "text")
ITEM = {"archetypes": "archetype", "states": "state", "templateKeys": "template key"}
COUNTED = {
    "steps": "steps",
    "context": "context items",
    "archetypes": "archetypes",
    "states": "states",
    "templateKeys": "template keys",
}
TYPES = {
    "string": "text",
    "boolean": "true or false",
    "array": "a list",
    "object": "a set of named fields (a JSON object)",
}


def whole_number(subject: str, node: dict) -> str:
    """The one sentence for a number out of range or not a number, from its schema node
    (the editor's form fields say the same)."""
    low, high = node.get("minimum"), node.get("maximum")
    if high is None:
        return sentence(f"{subject} must be a whole number, {low} or more.")
    return sentence(f"{subject} must be a whole number between {low} and {high}.")


def step_name(definition, index: int) -> str:
    """``Step 3 (Draft)``, as the editor numbers and names its step boxes."""
    step = _at(definition, ["steps", index])
    kind = next((k for k in ("draft", "think") if isinstance(step, dict) and k in step), None)
    return f"step {index + 1} ({kind.title()})" if kind else f"step {index + 1}"


def owner_name(definition, parts: list) -> str:
    """What holds the field at ``parts``: the workflow, a step or a context item."""
    if len(parts) >= 2 and parts[0] == "steps" and isinstance(parts[1], int):
        return step_name(definition, parts[1])
    if len(parts) >= 2 and parts[0] == "context" and isinstance(parts[1], int):
        return f"context item {parts[1] + 1}"
    if len(parts) >= 3 and parts[0] == "appliesTo" and isinstance(parts[2], int):
        return f"{ITEM.get(parts[1], 'item')} {parts[2] + 1}"
    return "the workflow"


def field_name(definition, parts: list) -> str:
    """The field at ``parts`` in words: "the instruction of step 3 (Draft)"."""
    if not parts:
        return "the workflow definition"
    *owner, last = parts
    if isinstance(last, int):
        return owner_name(definition, parts) if len(parts) > 1 else f"item {last + 1}"
    called = CALLED.get(last, f"the field “{last}”")
    if not owner or owner == ["appliesTo"]:
        return called
    return f"{called} of {owner_name(definition, parts)}"


def schema_error_sentence(error: SchemaError, definition, parts: list) -> str:
    """One jsonschema error as a sentence; ``parts`` is the path of the field it is about
    (a missing or unknown property already appended)."""
    keyword, node, value = error.validator, error.schema, error.instance
    subject = field_name(definition, parts)
    owner = owner_name(definition, parts[:-1]) if parts else "the workflow"
    if keyword == "required" or (keyword == "minLength" and parts and parts[-1] in NEEDS):
        return sentence(f"{owner} needs {NEEDS.get(parts[-1], 'it')}.")
    if keyword == "additionalProperties":
        return sentence(f"{owner} has no field “{parts[-1]}”.")
    if keyword == "minLength":
        return sentence(f"{subject} is empty.")
    if keyword == "maxLength":
        return sentence(f"{subject} is too long: at most {node['maxLength']} characters.")
    if keyword in ("minimum", "maximum") or (keyword == "type" and node["type"] == "integer"):
        return whole_number(subject, node)
    if keyword == "type":
        return sentence(f"{subject} must be {TYPES.get(node['type'], node['type'])}.")
    if keyword == "minItems":
        return sentence(f"{owner} needs {NEEDS.get(parts[-1], 'at least one')}.")
    if keyword == "maxItems":
        many = f"{len(value)} {COUNTED.get(parts[-1], 'items')}"
        return sentence(f"{owner} has {many}; at most {node['maxItems']} are allowed.")
    if keyword == "uniqueItems":
        return sentence(f"{subject} list the same one twice.")
    if keyword == "pattern":
        return _pattern_sentence(subject, parts[-1] if parts else None, value)
    return sentence(f"{subject} is not valid.")


def _pattern_sentence(subject: str, field, value: str) -> str:
    if field == "snippet":
        return sentence(
            f"{subject} must be written kind:key, where kind is canon, voice or safety "
            "(e.g. canon:opener.welcome)."
        )
    multiline = field in MULTILINE_FIELDS
    what = control_character(value, multiline=multiline) or "a character it cannot take"
    return control_character_message(what, multiline=multiline, subject=subject)


def _at(value, parts: list):
    for part in parts:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def sentence(text: str) -> str:
    """``text`` with its first letter made a capital, and only that one."""
    return text[:1].upper() + text[1:]
