"""Two versions side by side, in the editor's words: labels people use, the changed words
marked, and a step inserted at the top does not mark every later step changed."""

import pytest

from builder.diff import SECTIONS, section_lines, version_diff
from builder.models import WorkflowVersion
from tests.support.factories import definition


def version(**overrides) -> WorkflowVersion:
    return WorkflowVersion(definition=definition(**overrides))


def diff_of(section: str, before: dict, after: dict):
    return next(
        d for d in version_diff(version(**before), version(**after)) if d.section == section
    )


def texts(lines) -> list[tuple[str, str]]:
    return [(line.label, line.text) for line in lines]


def test_sections_are_labelled_as_people_say_them():
    assert list(SECTIONS.values()) == [
        "Name",
        "Applies to",
        "Context",
        "Steps",
        "Priority",
        "Past corrections",
    ]


def test_applies_to_reads_in_words_with_template_keys_left_to_the_vocabulary():
    lines = section_lines(
        definition(appliesTo={"archetypes": ["new_contact"], "templateKeys": ["vendor.decline"]}),
        "appliesTo",
    )
    assert texts(lines) == [
        ("Archetype", "New contact"),
        ("States", "any"),
        ("Template key", "vendor.decline"),
    ]
    assert [line.words for line in lines] == ["", "", "template_key"]


def test_steps_and_context_read_as_the_editor_shows_them():
    steps = [{"think": "Who is it?\nWhat do they want?"}, {"draft": "Write.", "maxChars": 300}]
    assert texts(section_lines(definition(steps=steps), "steps")) == [
        ("Step 1 (Think)", "Who is it?"),
        ("", "What do they want?"),
        ("Step 2 (Draft)", "Write."),
        ("Character limit", "300"),
    ]
    context = [{"snippet": "canon:opener.welcome", "version": 2}, {"snippet": "voice:warm-brief"}]
    assert texts(
        section_lines(definition(context=[*context, {"text": "Be brief."}]), "context")
    ) == [
        ("Canon, version 2", "opener.welcome"),
        ("Voice rule", "warm-brief"),
        ("Note for the model", "Be brief."),
    ]
    assert texts(section_lines(definition(retrieval=False), "retrieval")) == [
        ("Retrieve past corrections as exemplars", "no")
    ]


def test_a_changed_name_marks_the_words_that_changed():
    diff = diff_of(
        "name", {"name": "Polite vendor decline"}, {"name": "Very polite vendor decline"}
    )
    assert diff.changed
    [row] = diff.rows
    before, after = row.cells
    assert row.change == "changed"
    assert before.parts == [("Polite", True), (" vendor decline", False)]
    assert after.parts == [("Very polite", True), (" vendor decline", False)]
    assert (before.tag, after.tag) == ("del", "ins")


def test_a_step_inserted_first_leaves_the_later_steps_unchanged():
    steps = [{"think": "Who?"}, {"draft": "Write.", "maxChars": 300}]
    diff = diff_of("steps", {"steps": steps}, {"steps": [{"think": "Why?"}, *steps]})
    assert [row.change for row in diff.rows] == ["added", "same", "same", "same"]
    assert diff.rows[1].after.label == "Step 2 (Think)"


def test_an_unchanged_section_keeps_its_content():
    diff = diff_of("steps", {}, {})
    assert not diff.changed
    assert {row.change for row in diff.rows} == {"same"}
    assert diff.rows[0].cells[0].parts == [("What do they want?", False)]


@pytest.mark.parametrize(
    ("section", "before", "after"),
    [("priority", {"priority": 0}, {"priority": 10}), ("retrieval", {}, {"retrieval": False})],
)
def test_priority_and_retrieval_changes_show(section, before, after):
    assert [row.change for row in diff_of(section, before, after).rows] == ["changed"]


def test_the_api_text_names_lines_by_label():
    diff = diff_of("name", {"name": "A"}, {"name": "B"})
    assert diff.unified.splitlines()[-2:] == ["-Name: A", "+Name: B"]
