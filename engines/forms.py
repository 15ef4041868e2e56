from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst

from engines.billing import Rule, rule_errors
from engines.models import EngineBuild
from engines.models.gpu import REGIONS, GpuPolicySettings, placement_problems, price_problem


class GpuPolicyForm(forms.ModelForm):
    """The policy's numbers; its prices and billing rules are rows of their own
    (``GpuPolicyForms``)."""

    class Meta:
        model = GpuPolicySettings
        fields = [
            "idle_grace_seconds",
            "deep_backlog_items",
            "max_instances",
            "boot_timeout_seconds",
            "max_lifetime_seconds",
            "daily_budget_usd",
            "drain_items_per_second",
        ]
        labels = {
            "daily_budget_usd": "Daily budget (US dollars)",
            "drain_items_per_second": "Drafts per second, one machine",
        }


def _size_slug() -> forms.SlugField:
    return forms.SlugField(
        max_length=64,
        label="Size slug",
        widget=forms.TextInput({"placeholder": "gpu-h100x1-80gb", "size": 18}),
    )


class HourlyPriceForm(forms.Form):
    size_slug = _size_slug()
    usd_per_hour = forms.FloatField(
        label="US dollars an hour",
        error_messages={"invalid": "Enter a number of US dollars, written with a dot: 3.39."},
        # No "min": the browser would refuse the post with its own words; the server's
        # error names the row and the field.
        widget=forms.NumberInput({"step": "any"}),
    )

    def clean_usd_per_hour(self):
        price = self.cleaned_data["usd_per_hour"]
        if problem := price_problem(price):
            raise ValidationError(f"{capfirst(problem)}.")
        return price


class BillingRuleForm(forms.Form):
    size_slug = _size_slug()
    rule = forms.ChoiceField(
        choices=[
            # Chosen by nobody, a blank new row stays blank and is left out.
            ("", "Choose…"),
            (Rule.PER_SECOND.value, "Per second, with a minimum"),
            (Rule.PER_STARTED_HOUR.value, "Per started hour"),
        ]
    )
    minimum_seconds = forms.IntegerField(
        required=False,
        min_value=0,
        label="Minimum seconds",
        help_text="Per second only.",
        widget=forms.NumberInput({"step": "1"}),
    )

    def clean(self):
        cleaned = super().clean()
        if "rule" not in cleaned or self.has_error("minimum_seconds"):
            return cleaned
        if cleaned["rule"] == Rule.PER_SECOND and cleaned.get("minimum_seconds") is None:
            self.add_error(
                "minimum_seconds", "Say how many seconds are billed at least (DigitalOcean: 60)."
            )
        # The stored field's own check: the rows cannot save what it would refuse.
        elif errors := rule_errors(self.billing_rule()):
            self.add_error(None, errors)
        return cleaned

    def billing_rule(self) -> dict:
        """The rule as ``engines/billing.py`` reads it."""
        data = self.cleaned_data
        if data["rule"] == Rule.PER_SECOND:
            return {"rule": data["rule"], "minimum_seconds": data["minimum_seconds"]}
        return {"rule": data["rule"]}


class PlacementForm(forms.Form):
    size_slug = _size_slug()
    region = forms.ChoiceField(
        label="Region",
        choices=[("", "Choose…"), *((region, region) for region in REGIONS)],
        error_messages={"invalid_choice": "%(value)s is not a DigitalOcean region."},
    )


class SizeRows(forms.BaseFormSet):
    """Rows keyed by a GPU size slug, each size once. A blank new row is ignored, a row
    ticked "Remove" is left out."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields[forms.formsets.DELETION_FIELD_NAME].label = "Remove"
        # The table's head names each column once: the fields in a row say which row.
        if index is not None:
            for field in form.fields.values():
                field.widget.attrs["aria-label"] = f"{field.label}, row {index + 1}"

    def clean(self):
        if any(self.errors):
            return
        seen = {}
        for number, form in self.kept():
            slug = form.cleaned_data["size_slug"]
            if slug in seen:
                form.add_error("size_slug", f"Row {seen[slug]} has this size already.")
            seen.setdefault(slug, number)

    def kept(self) -> list[tuple[int, forms.Form]]:
        """(row number from 1, form) for each row that is filled in and not removed (a
        blank new row cleans to nothing)."""
        return [
            (number, form)
            for number, form in enumerate(self.forms, 1)
            if form.cleaned_data and not self._should_delete_form(form)
        ]

    def problems(self) -> list[str]:
        """Each error with the row and the field it is about, for the summary over the rows."""
        found = []
        for number, form in enumerate(self.forms, 1):
            if not form.errors or self._should_delete_form(form):
                continue
            for name, errors in form.errors.items():
                label = form.fields[name].label if name in form.fields else ""
                where = f"Row {number}, {label}" if label else f"Row {number}"
                found += [f"{where}: {error}" for error in errors]
        return found + list(self.non_form_errors())


class HourlyPriceRows(forms.formset_factory(HourlyPriceForm, formset=SizeRows, can_delete=True)):
    def as_dict(self) -> dict[str, float]:
        return {
            form.cleaned_data["size_slug"]: form.cleaned_data["usd_per_hour"]
            for _, form in self.kept()
        }


class BillingRuleRows(forms.formset_factory(BillingRuleForm, formset=SizeRows, can_delete=True)):
    def as_dict(self) -> dict[str, dict]:
        return {form.cleaned_data["size_slug"]: form.billing_rule() for _, form in self.kept()}


class PlacementRows(forms.formset_factory(PlacementForm, formset=SizeRows, can_delete=True)):
    """The placements in the order they are tried: each size and region once, at least one."""

    def clean(self):
        if any(self.errors):
            return
        seen = {}
        for number, form in self.kept():
            where = (form.cleaned_data["size_slug"], form.cleaned_data["region"])
            if where in seen:
                form.add_error("region", f"Row {seen[where]} has this size and region already.")
            seen.setdefault(where, number)
        if not seen:
            raise ValidationError(placement_problems([]))

    def as_list(self) -> list[dict]:
        return [
            {"size_slug": form.cleaned_data["size_slug"], "region": form.cleaned_data["region"]}
            for _, form in self.kept()
        ]


class GpuPolicyForms:
    """The GPU policy page's form: the numbers, and the hourly prices, billing rules and
    placements as rows of fields, saved as the same JSON the policy row stores. A post with
    ``add_row`` ("prices", "rules" or "placements") draws the rows again with one more,
    saving nothing."""

    PREFIXES = {"prices": HourlyPriceRows, "rules": BillingRuleRows, "placements": PlacementRows}

    def __init__(self, data=None, *, policy: GpuPolicySettings):
        self.adding_row = data is not None and data.get("add_row") in self.PREFIXES
        if self.adding_row:
            data = data.copy()
            total = f"{data['add_row']}-TOTAL_FORMS"
            data[total] = str(int(data.get(total) or 0) + 1)
        self.knobs = GpuPolicyForm(data, instance=policy)
        self.prices = HourlyPriceRows(
            data,
            prefix="prices",
            initial=[
                {"size_slug": slug, "usd_per_hour": price}
                for slug, price in policy.hourly_prices.items()
            ],
        )
        self.rules = BillingRuleRows(
            data,
            prefix="rules",
            initial=[
                {
                    "size_slug": slug,
                    "rule": rule.get("rule"),
                    "minimum_seconds": rule.get("minimum_seconds"),
                }
                for slug, rule in policy.billing_rules.items()
                if isinstance(rule, dict)
            ],
        )
        # A post without the placement rows (a client that edits only the numbers and
        # prices) leaves the stored placements as they are.
        self.placements = PlacementRows(
            data if data is not None and "placements-TOTAL_FORMS" in data else None,
            prefix="placements",
            initial=policy.placements,
        )

    @property
    def is_bound(self) -> bool:
        return self.knobs.is_bound

    def is_valid(self) -> bool:
        if self.adding_row:
            return False
        parts = [self.knobs, self.prices, self.rules]
        if self.placements.is_bound:
            parts.append(self.placements)
        return all([part.is_valid() for part in parts])

    def cleaned(self) -> dict:
        """The knobs for ``gpu_policy_update``: the numbers, prices, billing rules and, when
        posted, the placements."""
        knobs = {
            **self.knobs.cleaned_data,
            "hourly_prices": self.prices.as_dict(),
            "billing_rules": self.rules.as_dict(),
        }
        if self.placements.is_bound:
            knobs["placements"] = self.placements.as_list()
        return knobs


class BuildConcurrencyForm(forms.ModelForm):
    class Meta:
        model = EngineBuild
        fields = ["max_concurrency"]
        labels = {"max_concurrency": "Max concurrency"}
