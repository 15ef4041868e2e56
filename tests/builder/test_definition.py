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


def test_a_missing_max_chars_names_its_path_and_says_so_in_words(gemma_build):
    steps = [{"think": "a"}, {"draft": "c"}]
    assert errors_of(definition(steps=steps)) == {
        "steps[1].maxChars": ["Step 2 (Draft) needs a character limit."]
    }


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
    assert errors_of(definition(engine=GEMMA)) == {
        "engine": ["The workflow has no field “engine”."]
    }


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


def step(kind: str, text: str = "x", **more) -> dict:
    return {kind: text, **({"maxChars": 300} if kind == "draft" else {}), **more}


# One bad definition per sentence a person may read, with the path the API keys it by.
SENTENCES = [
    (
        {"steps": [step("think"), step("think"), step("draft", "")]},
        "steps[2].draft",
        "Step 3 (Draft) needs an instruction.",
    ),
    (
        {"steps": [step("think", ""), step("draft")]},
        "steps[0].think",
        "Step 1 (Think) needs an instruction.",
    ),
    ({"steps": [{}, step("draft")]}, "steps[0].think", "Step 1 needs an instruction."),
    ({"steps": [{"draft": "x"}]}, "steps[0].maxChars", "Step 1 (Draft) needs a character limit."),
    (
        {"steps": [step("draft", maxChars=5)]},
        "steps[0].maxChars",
        "The character limit of step 1 (Draft) must be a whole number between 20 and 4000.",
    ),
    (
        {"steps": [step("draft", maxChars="long")]},
        "steps[0].maxChars",
        "The character limit of step 1 (Draft) must be a whole number between 20 and 4000.",
    ),
    (
        {"steps": [step("draft", "x" * 4001)]},
        "steps[0].draft",
        "The instruction of step 1 (Draft) is too long: at most 4000 characters.",
    ),
    (
        {"steps": [step("think", "Bell \x07"), step("draft")]},
        "steps[0].think",
        "The instruction of step 1 (Think) contains a control character (U+0007), "
        "which cannot be shown: remove it.",
    ),
    ({"steps": [step("draft", y=1)]}, "steps[0].y", "Step 1 (Draft) has no field “y”."),
    (
        {"steps": ["think it over", step("draft")]},
        "steps[0]",
        "Step 1 must be a set of named fields (a JSON object).",
    ),
    ({"steps": []}, "steps", "The workflow needs at least one step."),
    (
        {"steps": [step("think")] * 12 + [step("draft")]},
        "steps",
        "The workflow has 13 steps; at most 12 are allowed.",
    ),
    ({"steps": "think, then draft"}, "steps", "The steps must be a list."),
    ({"name": ""}, "name", "The workflow needs a name."),
    ({"name": "x" * 201}, "name", "The name is too long: at most 200 characters."),
    (
        {"name": "Two\nlines"},
        "name",
        "The name contains a line break: this is one line of plain text.",
    ),
    ({"name": 7}, "name", "The name must be text."),
    ({"priority": 5000}, "priority", "The priority must be a whole number between -1000 and 1000."),
    (
        {"priority": -1001},
        "priority",
        "The priority must be a whole number between -1000 and 1000.",
    ),
    ({"priority": 1.5}, "priority", "The priority must be a whole number between -1000 and 1000."),
    ({"retrieval": "yes"}, "retrieval", "Retrieval of past corrections must be true or false."),
    ({"colour": "blue"}, "colour", "The workflow has no field “colour”."),
    (
        {"appliesTo": {"states": ["new", "new"]}},
        "appliesTo.states",
        "The states list the same one twice.",
    ),
    (
        {"appliesTo": {"templateKeys": [""]}},
        "appliesTo.templateKeys[0]",
        "Template key 1 is empty.",
    ),
    (
        {"appliesTo": {"templateKeys": [f"k{n}" for n in range(101)]}},
        "appliesTo.templateKeys",
        "The workflow has 101 template keys; at most 100 are allowed.",
    ),
    ({"appliesTo": {"moods": []}}, "appliesTo.moods", "The workflow has no field “moods”."),
    (
        {"context": [{"snippet": "opener"}]},
        "context[0].snippet",
        "The snippet of context item 1 must be written kind:key, where kind is canon, voice "
        "or safety (e.g. canon:opener.welcome).",
    ),
    (
        {"context": [{"snippet": "canon:a", "version": 0}]},
        "context[0].version",
        "The snippet version of context item 1 must be a whole number, 1 or more.",
    ),
    ({"context": [{}]}, "context[0].text", "Context item 1 needs a snippet or a text."),
    (
        {"context": [{"text": "x"}] * 51},
        "context",
        "The workflow has 51 context items; at most 50 are allowed.",
    ),
]


@pytest.mark.parametrize(("change", "path", "message"), SENTENCES)
def test_every_schema_error_is_a_sentence_about_the_field_a_person_sees(change, path, message):
    assert errors_of(definition(**change))[path] == [message]


def test_every_keyword_of_the_schema_has_its_sentence():
    """A keyword added to the schema without a sentence would read "... is not valid."."""
    from builder.definition import _validator, schema

    def keywords(node) -> set[str]:
        found = set()
        if isinstance(node, dict):
            found |= set(node) & set(_validator().VALIDATORS)
            for value in node.values():
                found |= keywords(value)
        elif isinstance(node, list):
            for value in node:
                found |= keywords(value)
        return found

    raised = set()
    for change, _, _ in SENTENCES:
        raised |= {error.validator for error in _validator().iter_errors(definition(**change))}
    applicators = {"$ref", "properties", "items", "if", "then", "else"}
    assert keywords(schema()) - applicators <= raised


def test_the_rules_beyond_the_schema_are_sentences_too(gemma_build):
    assert errors_of(definition(steps=[step("think")]))["steps"] == [
        "The workflow needs a draft step, last, to write the reply."
    ]
    assert errors_of(definition(steps=[step("draft"), step("draft")]))["steps"] == [
        "The workflow has 2 draft steps; it needs exactly one, the last."
    ]
    errors = errors_of(definition(appliesTo={"archetypes": ["alien"]}))
    assert errors["appliesTo.archetypes[0]"] == [
        "Archetype 1, “alien”, is not one we know: use one of new_contact (New contact), "
        "referral (Referral), returning (Returning)."
    ]
    errors = errors_of(definition(), snippet_exists=lambda ref, version: False)
    assert errors["context[0].snippet"] == ["There is no snippet canon:opener.welcome."]


def test_the_exception_reads_as_its_sentences_without_paths():
    with pytest.raises(DefinitionInvalid) as invalid:
        validate_definition(definition(name="", priority=5000), snippet_exists=None)
    assert str(invalid.value) == (
        "The workflow needs a name. The priority must be a whole number between -1000 and 1000."
    )
