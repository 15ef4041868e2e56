"""Diff between two workflow versions, section by section, in the editor's words.

Each section becomes labelled lines ("Step 2 (Think)", "Template key"), which difflib
aligns; nothing hand-rolled. A line compares by its label without its number, so a step
inserted at the top does not mark every later step changed. Codes stay codes here (the
template key ``vendor.decline``, with the vocabulary kind the page reads it through):
builder knows nothing of the product's words, and API clients read the codes.
"""

import difflib
import re
from dataclasses import dataclass

from builder.models import Snippet, WorkflowVersion
from builder.taxonomy import Archetype, ThreadState

SECTIONS = {
    "name": "Name",
    "appliesTo": "Applies to",
    "context": "Context",
    "steps": "Steps",
    "priority": "Priority",
    "retrieval": "Past corrections",
}
_WORDS = re.compile(r"(\s+)")


@dataclass(frozen=True)
class Line:
    label: str
    text: str
    # The vocabulary kind a page reads ``text`` through ("template_key"); "" for text.
    words: str = ""
    # What difflib compares: the label without a step's number.
    kind: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind or self.label, self.text, self.words)

    def plain(self) -> str:
        return f"{self.label}: {self.text}" if self.label else f"  {self.text}"


@dataclass(frozen=True)
class Cell:
    """One side of a row: its line, and the line's text as (piece, changed) runs."""

    line: Line | None
    parts: list[tuple[str, bool]]
    # How a page marks a changed piece: struck out before, inserted after.
    tag: str


@dataclass(frozen=True)
class Row:
    """One line of each side, aligned; a side is None where the line was added or removed."""

    before: Line | None
    after: Line | None

    @property
    def change(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        # A step that only moved (its number changed) reads as the same.
        return "same" if self.before.key == self.after.key else "changed"

    @property
    def cells(self) -> tuple[Cell, Cell]:
        """Both sides; a changed line of text marks the words that changed, any other line
        is marked whole or not at all."""
        before, after = self.before, self.after
        if self.change == "changed" and not (before.words or after.words):
            old, new = _WORDS.split(before.text), _WORDS.split(after.text)
            old_parts, new_parts = [], []
            for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes():
                old_parts.append(("".join(old[i1:i2]), tag != "equal"))
                new_parts.append(("".join(new[j1:j2]), tag != "equal"))
            return (
                Cell(before, [part for part in old_parts if part[0]], "del"),
                Cell(after, [part for part in new_parts if part[0]], "ins"),
            )
        marked = self.change != "same"
        return (
            Cell(before, [(before.text, marked)] if before else [], "del"),
            Cell(after, [(after.text, marked)] if after else [], "ins"),
        )


@dataclass(frozen=True)
class SectionDiff:
    section: str
    before: tuple[Line, ...]
    after: tuple[Line, ...]

    @property
    def label(self) -> str:
        return SECTIONS[self.section]

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def rows(self) -> list[Row]:
        matcher = difflib.SequenceMatcher(
            None, [line.key for line in self.before], [line.key for line in self.after]
        )
        rows = []
        for _, i1, i2, j1, j2 in matcher.get_opcodes():
            before, after = self.before[i1:i2], self.after[j1:j2]
            for index in range(max(len(before), len(after))):
                rows.append(
                    Row(
                        before[index] if index < len(before) else None,
                        after[index] if index < len(after) else None,
                    )
                )
        return rows

    @property
    def unified(self) -> str:
        """The change as text, for API clients: "-" before, "+" after."""
        return "\n".join(
            difflib.unified_diff(
                [line.plain() for line in self.before],
                [line.plain() for line in self.after],
                "before",
                "after",
                lineterm="",
                n=2,
            )
        )


def _text_lines(label: str, text: str, kind: str = "") -> list[Line]:
    """A text of several lines: the label on its first line only."""
    lines = text.splitlines() or [""]
    return [Line(label if index == 0 else "", line, kind=kind) for index, line in enumerate(lines)]


def _listed(label: str, each: str, values: list, words: dict | None = None) -> list[Line]:
    """One line per value, each by its label from ``words``; "any" when there is none."""
    if not values:
        return [Line(label, "any")]
    if words is None:
        return [Line(each, value, "template_key") for value in values]
    return [Line(each, words.get(value, value)) for value in values]


def _applies_to(applies_to: dict) -> list[Line]:
    archetypes, states = dict(Archetype.choices), dict(ThreadState.choices)
    return [
        *_listed("Archetypes", "Archetype", applies_to.get("archetypes", []), archetypes),
        *_listed("States", "State", applies_to.get("states", []), states),
        # Template keys stay codes: the page reads them through the vocabulary.
        *_listed("Template keys", "Template key", applies_to.get("templateKeys", [])),
    ]


def _context(context: list) -> list[Line]:
    lines = []
    kinds = dict(Snippet.Kind.choices)
    for item in context:
        if "text" in item:
            lines += _text_lines("Note for the model", item["text"])
            continue
        kind, _, key = item["snippet"].partition(":")
        label = kinds.get(kind, kind)
        if "version" in item:
            label += f", version {item['version']}"
        lines.append(Line(label, key, "template_key" if kind == Snippet.Kind.CANON else ""))
    return lines


def _steps(steps: list) -> list[Line]:
    lines = []
    for number, step in enumerate(steps, start=1):
        kind = "Draft" if "draft" in step else "Think"
        lines += _text_lines(f"Step {number} ({kind})", step.get(kind.lower(), ""), kind)
        if "maxChars" in step:
            lines.append(Line("Character limit", str(step["maxChars"])))
    return lines


def section_lines(definition: dict, section: str) -> tuple[Line, ...]:
    """A section of a (valid) definition as the lines a person reads."""
    if section == "name":
        lines = [Line("Name", definition.get("name", ""))]
    elif section == "appliesTo":
        lines = _applies_to(definition.get("appliesTo", {}))
    elif section == "context":
        lines = _context(definition.get("context", [])) or [Line("Context", "none")]
    elif section == "steps":
        lines = _steps(definition.get("steps", []))
    elif section == "priority":
        lines = [Line("Priority", str(definition.get("priority", 0)))]
    else:
        on = definition.get("retrieval", True) is not False
        lines = [Line("Retrieve past corrections as exemplars", "yes" if on else "no")]
    return tuple(lines)


def version_diff(a: WorkflowVersion, b: WorkflowVersion) -> list[SectionDiff]:
    return [
        SectionDiff(
            section, section_lines(a.definition, section), section_lines(b.definition, section)
        )
        for section in SECTIONS
    ]


def changed_sections(a: WorkflowVersion, b: WorkflowVersion) -> list[str]:
    """The labels of the sections that differ, in page order."""
    return [diff.label for diff in version_diff(a, b) if diff.changed]
