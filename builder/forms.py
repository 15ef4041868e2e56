"""The builder panel's forms: every panel POST that carries input is read through one.

The editor's fields take their limits from builder/workflow.schema.json, so a number out
of range is refused next to its field; the definition the form builds is then validated
by ``validate_definition`` (through the services) for what only the schema can say.
"""

from django import forms
from django.core.exceptions import ValidationError

from builder import selectors
from builder.definition import schema
from builder.models import Snippet

STEP_KINDS = [("think", "Think"), ("draft", "Draft")]


def _limits(node: dict) -> dict:
    return {"min_value": node["minimum"], "max_value": node["maximum"]}


_PROPERTIES = schema()["properties"]
_MAX_CHARS = _PROPERTIES["steps"]["items"]["then"]["properties"]["maxChars"]


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
    widget = TextListWidget

    def to_python(self, value) -> list[str]:
        return [text.strip() for text in value or []]


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
    # Blank text and a draft without a limit are left to the schema, whose messages
    # name the step's path like every other definition error.
    text = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "wide"})
    )
    max_chars = forms.IntegerField(required=False, **_limits(_MAX_CHARS))

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
        max_length=100, widget=forms.TextInput(attrs={"placeholder": "e.g. opener-welcome"})
    )
    name = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"class": "wide"}))
    priority = forms.IntegerField(initial=0, **_limits(_PROPERTIES["priority"]))
    archetypes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    states = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    template_keys = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    context_snippet = forms.MultipleChoiceField(required=False)
    pin = PinsField(required=False)
    context_text = TextListField(required=False)
    retrieval = forms.BooleanField(required=False, initial=True)
    notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "wide"})
    )
    then = forms.ChoiceField(
        choices=[("save", "Save draft"), ("publish", "Save and publish")], required=False
    )

    def __init__(self, *args, workflow=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A workflow's slug is its identity: set once, when it is created.
        if workflow is not None:
            del self.fields["slug"]
        known = selectors.vocabulary()
        for name, vocabulary_name in (
            ("archetypes", "archetypes"),
            ("states", "states"),
            ("template_keys", "templateKeys"),
        ):
            self.fields[name].choices = [(value, value) for value in known[vocabulary_name]]
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
    note = forms.CharField(
        label="Publish note (what changed and why)",
        widget=forms.Textarea(attrs={"rows": 3, "class": "wide"}),
    )


class SnippetTextForm(forms.Form):
    text = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 5, "class": "wide"})
    )


class SnippetForm(forms.Form):
    kind = forms.ChoiceField(choices=Snippet.Kind.choices)
    # The model's field brings its length and its key pattern.
    key = Snippet._meta.get_field("key").formfield(
        widget=forms.TextInput(
            attrs={
                "maxlength": 100,
                "pattern": r"[A-Za-z0-9_.\-]+",
                "placeholder": "e.g. opener.welcome or warm-brief",
            }
        )
    )
    text = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3, "class": "wide"})
    )

    def clean(self):
        data = super().clean()
        kind, key = data.get("kind"), data.get("key")
        # Saving an existing kind:key would quietly add a version to that snippet; a new
        # snippet's form means a new one, and its page is where versions are added.
        if kind and key and Snippet.objects.filter(kind=kind, key=key).exists():
            self.add_error("key", f"{kind}:{key} exists already; edit it on its own page.")
        return data
