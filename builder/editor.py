"""The workflow editor's form <-> definition mapping and its step operations.

The editor posts plain repeated fields (``step_kind``, ``step_text``, ``step_max_chars``),
so the step builder works with htmx and without it alike.
"""

import re
from dataclasses import dataclass, field

DEFAULT_MAX_CHARS = 320
_STEP_PATH = re.compile(r"^steps\[(\d+)\]")


@dataclass
class EditorStep:
    kind: str
    text: str
    max_chars: str = ""
    errors: list[str] = field(default_factory=list)


def _int_or_text(value: str):
    value = value.strip()
    return int(value) if value.lstrip("-").isdigit() else value


def steps_from_post(post) -> list[EditorStep]:
    kinds, texts = post.getlist("step_kind"), post.getlist("step_text")
    max_chars = post.getlist("step_max_chars")
    max_chars += [""] * (len(kinds) - len(max_chars))
    return [
        EditorStep(kind=kind, text=text, max_chars=limit)
        for kind, text, limit in zip(kinds, texts, max_chars, strict=False)
        if kind in ("think", "draft")
    ]


def steps_from_definition(definition: dict) -> list[EditorStep]:
    return [
        EditorStep("draft", step["draft"], str(step.get("maxChars", "")))
        if "draft" in step
        else EditorStep("think", step.get("think", ""))
        for step in definition.get("steps", [])
    ]


def apply_step_op(steps: list[EditorStep], op: str) -> list[EditorStep]:
    """``add_think``, ``add_draft``, ``delete:i``, ``up:i`` or ``down:i``; others do nothing."""
    steps = list(steps)
    name, _, index_text = op.partition(":")
    if name == "add_think":
        at = next((i for i, s in enumerate(steps) if s.kind == "draft"), len(steps))
        steps.insert(at, EditorStep("think", ""))
        return steps
    if name == "add_draft":
        return steps + [EditorStep("draft", "", str(DEFAULT_MAX_CHARS))]
    if not index_text.isdigit() or int(index_text) >= len(steps):
        return steps
    index = int(index_text)
    if name == "delete":
        del steps[index]
    elif name == "up" and index > 0:
        steps[index - 1], steps[index] = steps[index], steps[index - 1]
    elif name == "down" and index < len(steps) - 1:
        steps[index + 1], steps[index] = steps[index], steps[index + 1]
    return steps


def definition_from_post(post) -> dict:
    """The definition the form describes: ticked snippets (keeping any pinned version) in
    the order offered, then the inline texts; ``retrieval`` as ticked, always written, so
    turning it off is recorded as the explicit baseline it is."""
    pins = dict(pin.rsplit("@", 1) for pin in post.getlist("pin") if "@" in pin)
    context = [
        {"snippet": ref, "version": int(pins[ref])}
        if pins.get(ref, "").isdigit()
        else {"snippet": ref}
        for ref in post.getlist("context_snippet")
    ]
    context += [{"text": text.strip()} for text in post.getlist("context_text") if text.strip()]
    steps = []
    for step in steps_from_post(post):
        if step.kind == "draft":
            steps.append({"draft": step.text.strip(), "maxChars": _int_or_text(step.max_chars)})
        else:
            steps.append({"think": step.text.strip()})
    definition = {
        "name": post.get("name", "").strip(),
        "appliesTo": {
            "archetypes": post.getlist("archetypes"),
            "states": post.getlist("states"),
            "templateKeys": post.getlist("template_keys"),
        },
        "context": context,
        "steps": steps,
        "priority": _int_or_text(post.get("priority", "0") or "0"),
        "retrieval": bool(post.get("retrieval")),
    }
    return definition


def errors_by_field(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Groups schema paths by the editor field that shows them (``step:2`` for steps[2])."""
    grouped: dict[str, list[str]] = {}
    for path, messages in errors.items():
        if match := _STEP_PATH.match(path):
            name = f"step:{match[1]}"
        else:
            name = re.split(r"[.\[]", path, maxsplit=1)[0]
        grouped.setdefault(name, []).extend(f"{path}: {m}" for m in messages)
    return grouped


def attach_step_errors(steps: list[EditorStep], grouped: dict[str, list[str]]) -> list[EditorStep]:
    for index, step in enumerate(steps):
        step.errors = grouped.get(f"step:{index}", [])
    return steps
