"""Hands a workflow version down to the engines as plain data."""

from builder.models import Snippet, WorkflowVersion
from builder.selectors import snippet_version
from engines.base import Step, WorkflowSpec

STEP_KINDS = ("think", "draft")


def steps_of(definition: dict) -> tuple[Step, ...]:
    return tuple(
        Step(kind="draft", instruction=step["draft"], max_chars=step["maxChars"])
        if "draft" in step
        else Step(kind="think", instruction=step["think"])
        for step in definition["steps"]
    )


def context_of(version: WorkflowVersion) -> tuple[tuple[str, str], ...]:
    """Context blocks in order: pinned snippet versions once published, else the latest."""
    blocks = []
    for item in version.definition.get("context", []):
        if "text" in item:
            blocks.append(("Note", item["text"]))
            continue
        ref = item["snippet"]
        number = version.pinned_snippets.get(ref) or item.get("version")
        found = snippet_version(ref, number)
        if found is None:
            raise LookupError(f"{version.label} names snippet {ref} (v{number}), which is gone.")
        kind = Snippet.Kind(found.snippet.kind).label
        blocks.append((f"{kind}: {found.snippet.key}", found.text))
    return tuple(blocks)


def workflow_spec(version: WorkflowVersion) -> WorkflowSpec:
    return WorkflowSpec(
        label=version.label,
        context=context_of(version),
        steps=steps_of(version.definition),
        # On unless the workflow says otherwise: turning it off is an explicit baseline.
        retrieval=bool(version.definition.get("retrieval", True)),
    )
