"""The builder panel's forms: every panel POST that carries input is read through one.

The editor's fields take their limits from builder/workflow.schema.json, so a number out
of range is refused next to its field; the definition the form builds is then validated
by ``validate_definition`` (through the services) for what only the schema can say.
"""

from django import forms
from django.core.exceptions import ValidationError

from builder import selectors
from builder.definition import schema
from builder.definition_errors import whole_number
from builder.models import Snippet
from builder.taxonomy import Archetype, ThreadState
from core.fields import NoControlCharacters
from core.forms import PlainTextField
from engines.moves import all_moves

STEP_KINDS = [("think", "Think"), ("draft", "Draft")]


def _whole_number(subject: str, node: dict) -> dict:
    """An integer field's limits from its schema node, and one sentence for every way a
    value can miss them (the schema's own errors say the same)."""
    message = whole_number(subject, node)
    return {
        "min_value": node["minimum"],
        "max_value": node["maximum"],
        "error_messages": dict.fromkeys(("required", "invalid", "min_value", "max_value"), message),
    }


_PROPERTIES = schema()["properties"]
_MAX_CHARS = _PROPERTIES["steps"]["items"]["then"]["properties"]["maxChars"]
_CONTEXT_TEXT = _PROPERTIES["context"]["items"]["else"]["properties"]["text"]


class TemplateKeyBoxes(forms.CheckboxSelectMultiple):
    """Template keys as boxes grouped by move, each key and move in words (the widget's
    template reads them through the vocabulary's ``say`` filter)."""

    template_name = "builder/widgets/template_keys.html"


def template_key_choices(keys) -> list[tuple[str, list[tuple[str, str]]]]:
    """``keys`` grouped by their move (the part before the dot), the moves in their
    configured order."""
    order = {move: index for index, move in enumerate(all_moves())}
    groups: dict[str, list[tuple[str, str]]] = {}
    for key in sorted(keys, key=lambda key: (order.get(key.partition(".")[0], len(order)), key)):
        groups.setdefault(key.partition(".")[0], []).append((key, key))
    return list(groups.items())


def set_situation_choices(form: forms.Form) -> None:
    """What a form's ``archetypes``, ``states`` and ``template_keys`` offer: every
    archetype and state by its label, and the template keys canon exists for."""
    form.fields["archetypes"].choices = Archetype.choices
    form.fields["states"].choices = ThreadState.choices
    form.fields["template_keys"].choices = template_key_choices(selectors.known_template_keys())


class PinsField(forms.Field):
    """Pinned snippet versions, posted as ``kind:key@number``; cleans to ``{ref: number}``."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> dict[str, int]:
        number = forms.IntegerField(min_value=1)
        pins = {}
        for pin in value or []:
            ref, at, version = pin.rpartition("@")
            if not at:
                raise ValidationError("A pin is kind:key@version.", code="invalid")
            pins[ref] = number.clean(version)
        return pins


class TextListWidget(forms.Widget):
    """Repeated fields of one name, one item each; the template draws them, with a blank
    one for a new item, so a blank one posted is no item."""

    def value_from_datadict(self, data, files, name):
        return [text for text in data.getlist(name) if text.strip()]


class TextListField(forms.Field):
    """Texts of one name, each held to ``max_length`` and to the rule for a person's text."""

    widget = TextListWidget

    def __init__(self, *, max_length: int, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length

    def to_python(self, value) -> list[str]:
        return [text.strip() for text in value or []]

    def validate(self, value):
        super().validate(value)
        for text in value:
            NoControlCharacters(multiline=True)(text)
            if len(text) > self.max_length:
                raise ValidationError(
                    f"A note can hold at most {self.max_length} characters; one has {len(text)}.",
                    code="max_length",
                )


class StepOpField(forms.CharField):
    """``add_think``, ``add_draft``, or ``delete``/``up``/``down`` and a step index
    (``up:2``); cleans to ``(name, index)``, with ``None`` for the adds."""

    def to_python(self, value) -> tuple[str, int | None] | None:
        value = super().to_python(value)
        if not value:
            return None
        name, _, index = value.partition(":")
        if name in ("add_think", "add_draft") and not index:
            return name, None
        if name in ("delete", "up", "down"):
            return name, forms.IntegerField(min_value=0).clean(index)
        raise ValidationError("Unknown step operation.", code="invalid")


class StepOpForm(forms.Form):
    op = StepOpField(required=False)


class StepForm(forms.Form):
    kind = forms.ChoiceField(choices=STEP_KINDS, widget=forms.HiddenInput)
    # Blank text and a draft without a limit are left to the schema, whose sentences name
    # the step ("Step 3 (Draft) needs an instruction.") like every other definition error.
    text = PlainTextField(multiline=True, required=False)
    max_chars = forms.IntegerField(
        label="Character limit",
        required=False,
        help_text="The longest reply this step may write.",
        **_whole_number("the character limit", _MAX_CHARS),
    )

    def step(self) -> dict:
        data = self.cleaned_data
        if data["kind"] == "think":
            return {"think": data["text"]}
        step = {"draft": data["text"]}
        if data["max_chars"] is not None:
            step["maxChars"] = data["max_chars"]
        return step


class StepFormSet(forms.formset_factory(StepForm, extra=0)):
    @classmethod
    def get_default_prefix(cls) -> str:
        return "step"


class WorkflowEditorForm(forms.Form):
    slug = forms.SlugField(
        max_length=100,
        help_text=(
            "The workflow’s permanent id, in links, exported files and the API: letters, "
            "digits and hyphens, e.g. opener-welcome. It cannot be changed later."
        ),
        error_messages={
            "required": "The workflow needs a slug, e.g. opener-welcome.",
            "invalid": "Use letters, digits, hyphens and underscores only, e.g. opener-welcome.",
        },
        widget=forms.TextInput(attrs={"placeholder": "e.g. opener-welcome"}),
    )
    name = PlainTextField(
        max_length=_PROPERTIES["name"]["maxLength"],
        error_messages={"required": "The workflow needs a name."},
        help_text="What people see in lists and on the version history.",
        widget=forms.TextInput(attrs={"class": "wide"}),
    )
    priority = forms.IntegerField(
        initial=0,
        help_text=(
            "Settles a tie: when two live workflows fit a message equally closely, the one "
            "with the higher priority runs. Leave 0 unless two workflows overlap."
        ),
        **_whole_number("the priority", _PROPERTIES["priority"]),
    )
    archetypes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    states = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    template_keys = forms.MultipleChoiceField(required=False, widget=TemplateKeyBoxes)
    context_snippet = forms.MultipleChoiceField(required=False)
    pin = PinsField(required=False)
    context_text = TextListField(required=False, max_length=_CONTEXT_TEXT["maxLength"])
    retrieval = forms.BooleanField(
        label="Retrieve past corrections as exemplars",
        required=False,
        initial=True,
        help_text=(
            "Shows the model replies people accepted or corrected in similar threads. "
            "Untick only to measure a baseline without them."
        ),
    )
    notes = PlainTextField(
        multiline=True,
        required=False,
        help_text="For the team, not the model: what this version changes and why.",
    )
    then = forms.ChoiceField(
        choices=[("save", "Save draft"), ("publish", "Save and publish")], required=False
    )

    def __init__(self, *args, workflow=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A workflow's slug is its identity: set once, when it is created.
        if workflow is not None:
            del self.fields["slug"]
        set_situation_choices(self)
        # The template draws these boxes itself, each with a link to its snippet.
        self.snippets = list(selectors.snippets_with_latest())
        self.fields["context_snippet"].choices = [
            (snippet.ref, snippet.ref) for snippet in self.snippets
        ]

    @classmethod
    def initial_from(cls, definition: dict, notes: str = "") -> dict:
        context = definition.get("context", [])
        applies_to = definition.get("appliesTo", {})
        return {
            "name": definition.get("name", ""),
            "priority": definition.get("priority", 0),
            "archetypes": applies_to.get("archetypes", []),
            "states": applies_to.get("states", []),
            "template_keys": applies_to.get("templateKeys", []),
            "context_snippet": [item["snippet"] for item in context if "snippet" in item],
            "pin": [f"{i['snippet']}@{i['version']}" for i in context if "version" in i],
            "context_text": [item["text"] for item in context if "text" in item],
            "retrieval": definition.get("retrieval") is not False,
            "notes": notes,
        }

    def definition(self, steps: list[dict]) -> dict:
        """The definition the form describes: ticked snippets (keeping any pinned version) in
        the order offered, then the inline texts; ``retrieval`` as ticked, always written, so
        turning it off is recorded as the explicit baseline it is."""
        data = self.cleaned_data
        pins = data["pin"]
        context = [
            {"snippet": ref, "version": pins[ref]} if ref in pins else {"snippet": ref}
            for ref in data["context_snippet"]
        ]
        context += [{"text": text} for text in data["context_text"]]
        return {
            "name": data["name"],
            "appliesTo": {
                "archetypes": data["archetypes"],
                "states": data["states"],
                "templateKeys": data["template_keys"],
            },
            "context": context,
            "steps": steps,
            "priority": data["priority"],
            "retrieval": data["retrieval"],
        }


class CompareForm(forms.Form):
    a = forms.IntegerField(min_value=1)
    b = forms.IntegerField(min_value=1)


class PublishForm(forms.Form):
    note = PlainTextField(
        multiline=True,
        label="Publish note (what changed and why)",
        widget=forms.Textarea(attrs={"rows": 3, "class": "wide"}),
    )


class SnippetTextForm(forms.Form):
    text = PlainTextField(
        multiline=True,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "class": "wide"}),
    )


class SnippetForm(forms.Form):
    kind = forms.ChoiceField(
        choices=Snippet.Kind.choices,
        help_text=(
            "Canon is the reply the template engine sends for a template key; voice and "
            "safety rules are context a workflow gives the model."
        ),
    )
    # The model's field brings its length and its key pattern.
    key = Snippet._meta.get_field("key").formfield(
        help_text=(
            "For canon, the template key it answers, written move.action; for a rule, a "
            "short name (e.g. warm-brief)."
        ),
        widget=forms.TextInput(
            attrs={
                "maxlength": 100,
                "pattern": r"[A-Za-z0-9_.\-]+",
                "placeholder": "e.g. opener.welcome or warm-brief",
            }
        ),
    )
    text = PlainTextField(
        multiline=True,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "wide"}),
    )

    def clean(self):
        data = super().clean()
        kind, key = data.get("kind"), data.get("key")
        # Saving an existing kind:key would quietly add a version to that snippet; a new
        # snippet's form means a new one, and its page is where versions are added.
        if kind and key and Snippet.objects.filter(kind=kind, key=key).exists():
            kind_words = Snippet.Kind(kind).label.lower()
            self.add_error(
                "key", f"A {kind_words} with this key exists already; edit it on its own page."
            )
        return data
