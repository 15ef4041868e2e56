import pytest

from builder.definition import DefinitionInvalid, validate_definition, without_retired_keys
from tests.support.factories import GEMMA, definition

pytestmark = pytest.mark.django_db


def errors_of(value, *, snippet_exists=lambda ref, version: True) -> dict:
    with pytest.raises(DefinitionInvalid) as invalid:
        validate_definition(value, snippet_exists=snippet_exists)
    return invalid.value.errors


def test_a_valid_definition_passes(gemma_build):
    assert validate_definition(definition(), snippet_exists=lambda ref, version: True)


def test_a_bad_max_chars_names_its_path(gemma_build):
    steps = [{"think": "a"}, {"think": "b"}, {"draft": "c", "maxChars": "long"}]
    assert list(errors_of(definition(steps=steps))) == ["steps[2].maxChars"]


def test_a_missing_max_chars_names_its_path(gemma_build):
    steps = [{"think": "a"}, {"draft": "c"}]
    assert errors_of(definition(steps=steps)) == {"steps[1].maxChars": ["This field is required."]}


def test_unknown_fields_are_named(gemma_build):
    errors = errors_of(definition(colour="blue", steps=[{"draft": "x", "maxChars": 50, "y": 1}]))
    assert set(errors) == {"colour", "steps[0].y"}


def test_exactly_one_draft_step(gemma_build):
    two = [{"draft": "a", "maxChars": 50}, {"draft": "b", "maxChars": 50}]
    assert "steps" in errors_of(definition(steps=two))
    assert "steps" in errors_of(definition(steps=[{"think": "a"}]))


def test_the_draft_step_comes_last(gemma_build):
    steps = [{"draft": "a", "maxChars": 50}, {"think": "b"}]
    assert list(errors_of(definition(steps=steps))) == ["steps[0]"]


def test_a_definition_naming_an_engine_is_refused_by_the_schema(db):
    # The engine is chosen when a thread is drafted; only imports drop the old key.
    assert errors_of(definition(engine=GEMMA)) == {"engine": ["This field is not allowed here."]}


def test_without_retired_keys_drops_engine_and_says_so():
    kept, notes = without_retired_keys(definition(engine=GEMMA))
    assert kept == definition()
    assert len(notes) == 1
    assert notes[0].startswith("engine: dropped")
    assert without_retired_keys(definition()) == (definition(), [])


def test_applies_to_values_are_checked(gemma_build):
    errors = errors_of(definition(appliesTo={"archetypes": ["alien"], "states": ["new", "lost"]}))
    assert set(errors) == {"appliesTo.archetypes[0]", "appliesTo.states[1]"}


def test_missing_snippets_are_named(gemma_build):
    errors = errors_of(definition(), snippet_exists=lambda ref, version: False)
    assert list(errors) == ["context[0].snippet"]


@pytest.mark.parametrize("value", [None, [], "text", 7])
def test_a_definition_that_is_not_an_object_is_an_error_not_a_crash(value):
    assert errors_of(value)
