"""Diff between two workflow versions, section by section (difflib; nothing hand-rolled)."""

import difflib
from dataclasses import dataclass

import yaml

from builder.definition import canonical
from builder.models import WorkflowVersion

SECTIONS = ("name", "appliesTo", "context", "steps", "priority")


@dataclass(frozen=True)
class SectionDiff:
    section: str
    before: list[str]
    after: list[str]

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def unified(self) -> str:
        return "\n".join(
            difflib.unified_diff(self.before, self.after, "before", "after", lineterm="", n=2)
        )

    def side_by_side_html(self, label_a: str, label_b: str) -> str:
        """An HTML table; difflib escapes the text itself."""
        return difflib.HtmlDiff(wrapcolumn=70).make_table(
            self.before, self.after, label_a, label_b, context=False
        )


def _lines(definition: dict, section: str) -> list[str]:
    value = canonical(definition).get(section)
    if value is None:
        return []
    dumped = yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=70)
    return dumped.removesuffix("...\n").splitlines()


def version_diff(a: WorkflowVersion, b: WorkflowVersion) -> list[SectionDiff]:
    return [
        SectionDiff(section, _lines(a.definition, section), _lines(b.definition, section))
        for section in SECTIONS
    ]
