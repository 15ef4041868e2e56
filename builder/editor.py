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
# The editor's fields above the steps, in the order the page shows them; the notes follow
# the steps.
_HEAD_FIELDS = (
    "slug",
    "name",
    "priority",
    "archetypes",
    "states",
    "template_keys",
    "context_snippet",
    "pin",
    "context_text",
    "retrieval",
)
# Fields the template draws by hand, and what it marks for each: a pin is a hidden input,
# shown with the snippet boxes.
_DRAWN_BY_TEMPLATE = {
    "archetypes": "archetypes",
    "states": "states",
    "template_keys": "template_keys",
    "context_snippet": "context_snippet",
    "pin": "context_snippet",
    "context_text": "context_text",
}
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
    """Puts each error, a sentence, on the field or step its path names; returns the errors
    about the steps as a whole (how many drafts, how many steps)."""
    about_steps = []
    # Counted first: an error put on the field takes it out of cleaned_data.
    snippets = len(form.cleaned_data["context_snippet"])
    for path, messages in errors.items():
        if match := _STEP_PATH.match(path):
            step = steps.forms[int(match[1])]
            step.add_error(_STEP_FIELDS.get(match[2]), messages)
        elif path == "steps":
            about_steps += messages
        else:
            form.add_error(_editor_field(path, form.fields, snippets), messages)
    return about_steps


def focus_first_error(form: WorkflowEditorForm, steps: StepFormSet, about_steps) -> str | None:
    """Gives the first field with an error, in the order the page shows them, the focus
    when the page loads, so the browser scrolls to it (``autofocus``: no script needed).

    A field drawn by its widget gets the attribute here. For what the template draws
    itself, a group of boxes or the inline texts, the name it marks is returned, and
    "steps" when the steps as a whole are wrong; None otherwise, and when only the form as
    a whole is wrong (that error is at the top of the page).
    """
    ordered = [form[name] for name in form.fields if name in _HEAD_FIELDS]
    fields = [field for field in ordered if field.errors]
    if not fields and (about_steps or steps.non_form_errors()):
        return "steps"
    for step in steps:
        # An error about the step itself sits above its text, which takes the focus.
        if step.non_field_errors():
            fields.append(step["text"])
        fields += [field for field in (step["text"], step["max_chars"]) if field.errors]
    if "notes" in form.errors:
        fields.append(form["notes"])
    if not fields:
        return None
    first = fields[0]
    if first.name in _DRAWN_BY_TEMPLATE:
        return _DRAWN_BY_TEMPLATE[first.name]
    first.field.widget.attrs["autofocus"] = True
    return None
