import re

from django import forms
from django.core.exceptions import ValidationError

from builder.forms import TemplateKeyBoxes, set_situation_choices
from builder.models import Experiment, Metric, WorkflowVersion
from builder.versions import STATE_WORDS, version_state
from core.forms import PlainTextField, add_service_error
from engines.selectors import selectable_engine_ids
from prospects.experiments.services import EngineFlipUnconfirmed

ARM_ROWS = 4
ARM_PATH = re.compile(r"arms\[(\d+)\]\.(\w+)")
POSITIVE_WEIGHT = "The weight must be a positive whole number."


class ExperimentForm(forms.Form):
    name = PlainTextField(max_length=200, help_text="What people see in the experiments list.")
    slug = forms.SlugField(
        max_length=80,
        help_text=(
            "A short id: letters, digits and hyphens, e.g. shorter-welcome. Drafts and "
            "decisions record it with their arm (shorter-welcome:B). It cannot be changed later."
        ),
        error_messages={
            "invalid": "Use letters, digits, hyphens and underscores only, e.g. shorter-welcome."
        },
    )
    metric = forms.ChoiceField(
        label="Primary metric",
        choices=Metric.choices,
        initial=Metric.ACCEPTED_UNEDITED,
        help_text="What decides which arm wins.",
    )
    min_sample = forms.IntegerField(
        label="Minimum sample per arm",
        min_value=1,
        initial=100,
        help_text="Drafts each arm needs, measured on the metric, before any verdict "
        "(for Booked: threads with a reply sent).",
    )
    template_keys = forms.MultipleChoiceField(required=False, widget=TemplateKeyBoxes)
    archetypes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    states = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    # Left out, the service makes the first arm control.
    control = forms.TypedChoiceField(
        choices=[(index, f"Arm {index + 1}") for index in range(ARM_ROWS)],
        coerce=int,
        empty_value=None,
        required=False,
        initial=0,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_situation_choices(self)

    @property
    def scope(self) -> dict[str, list[str]]:
        return {name: self.cleaned_data[name] for name in ("template_keys", "archetypes", "states")}


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        # "published" alone does not say which version drafts use now.
        return f"{obj.label} ({STATE_WORDS[version_state(obj)].lower()}) — {obj.name}"


class ArmForm(forms.Form):
    """One row of the arms table; a row with neither key nor version is left out."""

    key = forms.SlugField(
        max_length=20,
        error_messages={"required": "Give the arm a short key, e.g. A or B."},
        widget=forms.TextInput(attrs={"size": 6}),
    )
    workflow_version = VersionChoiceField(
        queryset=WorkflowVersion.objects.select_related("workflow").exclude(
            status=WorkflowVersion.Status.ARCHIVED
        ),
        empty_label="—",
        error_messages={"required": "Pick a workflow version."},
    )
    engine_id = forms.ChoiceField(label="Engine")
    weight = forms.IntegerField(
        min_value=1,
        initial=1,
        error_messages={"invalid": POSITIVE_WEIGHT, "min_value": POSITIVE_WEIGHT},
        widget=forms.TextInput(attrs={"size": 4, "inputmode": "numeric"}),
    )

    def __init__(self, *args, engine_ids: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engine_id"].choices = [(engine_id, engine_id) for engine_id in engine_ids]

    def has_changed(self) -> bool:
        # The formset skips the validation of an unchanged extra row; "changed" is what
        # the page promises: a row counts once it has a key or a version.
        return bool(self["key"].data or self["workflow_version"].data)


class BaseArmFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index):
        # The first keys are suggested per row, not as formset initial data: every row
        # stays an extra row that may be left empty.
        suggested = {"key": "AB"[index]} if index is not None and index < 2 else {}
        return {"initial": suggested, "engine_ids": self.engine_ids}

    def __init__(self, *args, **kwargs):
        self.engine_ids = selectable_engine_ids()
        super().__init__(*args, prefix="arm", **kwargs)

    @property
    def filled(self) -> list[ArmForm]:
        return [form for form in self.forms if form.has_changed()]

    def arm_values(self, control: int) -> list[dict]:
        """``arm_specs``'s plain values for the filled rows."""
        return [
            {
                **form.cleaned_data,
                "workflow_version": form.cleaned_data["workflow_version"].id,
                "is_control": self.forms.index(form) == control,
            }
            for form in self.filled
        ]


ArmFormSet = forms.formset_factory(
    ArmForm, formset=BaseArmFormSet, extra=ARM_ROWS, max_num=ARM_ROWS, absolute_max=ARM_ROWS
)


def add_experiment_error(form: ExperimentForm, arms: BaseArmFormSet, invalid) -> None:
    """``experiment_create``'s errors next to their fields; ``arms[i].x`` counts the
    filled rows only, so it is mapped back to the row on screen."""
    filled = arms.filled
    for path, problems in invalid.message_dict.items():
        if match := ARM_PATH.fullmatch(path):
            filled[int(match[1])].add_error(match[2], problems)
        else:
            form.add_error(path if path in form.fields else None, problems)


class PromoteForm(forms.Form):
    """Step one names the arm (empty: the winner); step two confirms, and confirms the
    engine flip when the arm runs on another engine."""

    arm = forms.ChoiceField(label="Arm to promote", required=False)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # Required in the browser only: the service decides whether the flip needs it.
    confirm_engine = forms.BooleanField(
        required=False, widget=forms.CheckboxInput(attrs={"required": True})
    )

    def __init__(self, *args, experiment: Experiment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["arm"].choices = [
            ("", "the winner"),
            *((arm.key, arm.key) for arm in experiment.arms.all()),
        ]


class ActionForm(forms.Form):
    """Start, pause and finish take no input; this carries their refusal to the page."""


class RollbackForm(forms.Form):
    confirm_engine = forms.BooleanField(required=False)


def add_refusal(form: forms.Form, problem: Exception) -> None:
    """A promotion, rollback or status change the services refused, on the form: the
    engine flip next to its confirm box, the rest by field or for the whole form."""
    if isinstance(problem, EngineFlipUnconfirmed):
        form.add_error("confirm_engine", str(problem))
    elif isinstance(problem, ValidationError):
        add_service_error(form, problem)
    else:
        form.add_error(None, str(problem))
