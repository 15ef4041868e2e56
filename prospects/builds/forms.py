"""The forms behind the build page, the settings switches and the GPU levers."""

from django import forms

from engines.gpu.selectors import gpu_drafter_ids
from engines.models.training import Evaluation, TrainingRun
from engines.services import MAX_HOLD_MINUTES
from engines.training.promotion import GUARDABLE
from engines.training.runs import HYPER_MINIMUMS
from prospects.builds.tuning import Split


class EvaluateForm(forms.Form):
    head = forms.ChoiceField(choices=Evaluation.Head.choices)
    # Left out, the held-out split: the one training never saw.
    split = forms.TypedChoiceField(
        choices=[(split.value, split.value) for split in Split],
        required=False,
        empty_value=Split.EVAL.value,
        initial=Split.EVAL.value,
    )

    def __init__(self, *args, **kwargs):
        # Its ids stay apart from the training form's, on the same page.
        super().__init__(*args, auto_id="id_evaluate_%s", **kwargs)


# The numbers the page lets a person set; the service's own floors, and ceilings past
# which a run on this data only wastes the GPU.
HYPER_PARAMETERS = ("max_steps", "epochs", "learning_rate", "r", "alpha")


class TrainForm(forms.Form):
    head = forms.ChoiceField(choices=TrainingRun.Head.choices)
    new_engine_id = forms.CharField(
        required=False, max_length=200, label="New build id", widget=forms.TextInput({"size": 36})
    )
    max_steps = forms.IntegerField(
        required=False, min_value=-1, max_value=100_000, help_text="-1: as many as the epochs."
    )
    epochs = forms.FloatField(
        required=False, min_value=HYPER_MINIMUMS["epochs"], max_value=100, help_text="Default 1."
    )
    learning_rate = forms.FloatField(
        required=False,
        min_value=HYPER_MINIMUMS["learning_rate"],
        max_value=1,
        help_text="Default 0.0002.",
    )
    r = forms.IntegerField(
        required=False,
        min_value=HYPER_MINIMUMS["r"],
        max_value=256,
        label="LoRA rank",
        help_text="Default 16.",
    )
    alpha = forms.IntegerField(
        required=False,
        min_value=HYPER_MINIMUMS["alpha"],
        max_value=512,
        label="LoRA alpha",
        help_text="Default: the head's.",
    )

    # The service's names for the numbers.
    service_names = {f"hyper_parameters.{name}": name for name in HYPER_PARAMETERS}

    def hyper_parameters(self) -> dict:
        """Only the numbers set: the rest stay the head's defaults."""
        return {
            name: self.cleaned_data[name]
            for name in HYPER_PARAMETERS
            if self.cleaned_data[name] is not None
        }


class PromotionGuardsForm(forms.Form):
    """A tick and a margin per guardable metric."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for metric, guardable in GUARDABLE.items():
            self.fields[f"guard_{metric}"] = forms.BooleanField(
                required=False, label=f"{guardable.label} ({guardable.head})"
            )
            self.fields[f"margin_{metric}"] = forms.FloatField(
                required=False,
                min_value=0,
                label=f"Margin for {guardable.label}",
                widget=forms.NumberInput({"aria-label": f"Margin for {guardable.label}"}),
            )
        # The service names a metric; its margin is what was wrong.
        self.service_names = {metric: f"margin_{metric}" for metric in GUARDABLE}

    @classmethod
    def from_guards(cls, guards: dict) -> "PromotionGuardsForm":
        initial = {}
        for metric in GUARDABLE:
            initial[f"guard_{metric}"] = metric in guards
            initial[f"margin_{metric}"] = guards.get(metric, 0)
        return cls(initial=initial)

    def rows(self) -> list[tuple]:
        return [
            (guardable, self[f"guard_{metric}"], self[f"margin_{metric}"])
            for metric, guardable in GUARDABLE.items()
        ]

    def guards(self) -> dict[str, float]:
        """The ticked metrics and their margins; a margin left blank is none."""
        return {
            metric: self.cleaned_data[f"margin_{metric}"] or 0.0
            for metric in GUARDABLE
            if self.cleaned_data[f"guard_{metric}"]
        }


class EngineSwitchForm(forms.Form):
    """One of the settings page's switches: the engine is posted under the switch's own
    field name, picked from what it may switch to; ``confirm`` is the second step.

    With ``outlook`` (the draft engine's switch), an engine that cannot draft as this
    install is set up needs ``anyway`` ticked on the confirmation as well."""

    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    anyway = forms.BooleanField(required=False, label="I understand: these drafts will wait")

    def __init__(self, *args, field: str, choices: list[str], outlook=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.field_name = field
        self.fields[field] = forms.ChoiceField(
            choices=[(engine_id, engine_id) for engine_id in choices], label="Switch to"
        )
        self._outlook = outlook
        self.outlook = None

    @property
    def engine(self):
        return self[self.field_name]

    def clean(self):
        cleaned = super().clean()
        engine_id = cleaned.get(self.field_name)
        if self._outlook is None or engine_id is None:
            return cleaned
        self.outlook = self._outlook(engine_id)
        if cleaned.get("confirm") and self.outlook.can_never_run and not cleaned.get("anyway"):
            self.add_error(
                "anyway", "This build cannot draft as things are set up: tick to switch anyway."
            )
        return cleaned


class UncertainMoveThresholdForm(forms.Form):
    uncertain_move_threshold = forms.FloatField(
        min_value=0,
        max_value=1,
        label="Hold below this confidence",
        help_text="0 to 1; 0 never holds. The rules give no confidence and are never held.",
        widget=forms.NumberInput({"step": "0.01"}),
    )


class GpuActionForm(forms.Form):
    engine_id = forms.ChoiceField(label="Build")
    action = forms.ChoiceField(choices=[("hold", "Hold warm"), ("release", "Release now")])
    minutes = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_HOLD_MINUTES,
        help_text=f"For a hold: 1 to {MAX_HOLD_MINUTES}.",
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engine_id"].choices = [
            (engine_id, engine_id) for engine_id in gpu_drafter_ids()
        ]

    def clean(self):
        cleaned = super().clean()
        held = cleaned.get("action") == "hold"
        if held and cleaned.get("minutes") is None and not self.has_error("minutes"):
            self.add_error("minutes", "Say how many minutes to hold it warm.")
        return cleaned
