"""The workflow editor's step operations and where its definition errors are shown.

Steps post as a formset (``step-0-kind``, ``step-0-text``, ``step-0-max_chars``...), so
the step builder works with htmx and without it alike: an operation rebuilds the list
from what was posted, unvalidated, and draws it again with nothing saved.
"""

import re

from builder.forms import StepFormSet, WorkflowEditorForm

DEFAULT_MAX_CHARS = 320
_STEP_PATH = re.compile(r"^steps\[(\d+)\]\.?(\w*)")
_STEP_FIELDS = {"think": "text", "draft": "text", "maxChars": "max_chars"}
_APPLIES_TO_FIELDS = {
    "archetypes": "archetypes",
    "states": "states",
    "templateKeys": "template_keys",
}


def steps_from_definition(definition: dict) -> list[dict]:
    return [
        {"kind": "draft", "text": step["draft"], "max_chars": step.get("maxChars")}
        if "draft" in step
        else {"kind": "think", "text": step.get("think", "")}
        for step in definition.get("steps", [])
    ]


def as_posted(form) -> dict:
    """The form's fields as typed, valid or not: a step operation keeps them as they are."""
    return {name: form[name].value() for name in form.fields}


def steps_as_posted(formset) -> list[dict]:
    return [as_posted(form) for form in formset]


def apply_step_op(steps: list[dict], op: tuple[str, int | None] | None) -> list[dict]:
    """``op`` as ``StepOpField`` cleans it; an index past the end does nothing."""
    steps = list(steps)
    if op is None:
        return steps
    name, index = op
    if name == "add_think":
        at = next((i for i, s in enumerate(steps) if s["kind"] == "draft"), len(steps))
        steps.insert(at, {"kind": "think", "text": ""})
        return steps
    if name == "add_draft":
        return steps + [{"kind": "draft", "text": "", "max_chars": DEFAULT_MAX_CHARS}]
    if index >= len(steps):
        return steps
    if name == "delete":
        del steps[index]
    elif name == "up" and index > 0:
        steps[index - 1], steps[index] = steps[index], steps[index - 1]
    elif name == "down" and index < len(steps) - 1:
        steps[index + 1], steps[index] = steps[index], steps[index + 1]
    return steps


def _editor_field(path: str, fields, snippets: int) -> str | None:
    """The editor field that shows a top-level definition path; None for the form's head.
    ``snippets`` is how many ticked snippets lead the definition's context."""
    head, _, rest = path.partition(".")
    name = head.split("[", 1)[0]
    if name == "appliesTo":
        return _APPLIES_TO_FIELDS.get(rest.split("[", 1)[0])
    if name == "context":
        match = re.match(r"context\[(\d+)\]", head)
        return "context_text" if match and int(match[1]) >= snippets else "context_snippet"
    return name if name in fields else None


def attach_definition_errors(
    errors: dict[str, list[str]], form: WorkflowEditorForm, steps: StepFormSet
) -> list[str]:
    """Puts each error, as ``path: message``, on the field or step it belongs to; returns
    the errors about the steps as a whole (how many drafts, how many steps)."""
    about_steps = []
    # Counted first: an error put on the field takes it out of cleaned_data.
    snippets = len(form.cleaned_data["context_snippet"])
    for path, messages in errors.items():
        labelled = [f"{path}: {message}" for message in messages]
        if match := _STEP_PATH.match(path):
            step = steps.forms[int(match[1])]
            step.add_error(_STEP_FIELDS.get(match[2]), labelled)
        elif path == "steps":
            about_steps += labelled
        else:
            form.add_error(_editor_field(path, form.fields, snippets), labelled)
    return about_steps
