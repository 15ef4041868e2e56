from django import forms

from engines.models import EngineBuild
from engines.models.gpu import GpuPolicySettings


class GpuPolicyForm(forms.ModelForm):
    class Meta:
        model = GpuPolicySettings
        fields = [
            "idle_grace_seconds",
            "deep_backlog_items",
            "max_instances",
            "boot_timeout_seconds",
            "max_lifetime_seconds",
            "daily_budget_usd",
            "hourly_prices",
            "billing_rules",
            "drain_items_per_second",
        ]
        widgets = {
            "hourly_prices": forms.Textarea(attrs={"rows": 2}),
            "billing_rules": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_billing_rules(self):
        # Left empty, every size keeps the default rule.
        return self.cleaned_data["billing_rules"] or {}


class BuildConcurrencyForm(forms.ModelForm):
    class Meta:
        model = EngineBuild
        fields = ["max_concurrency"]
        labels = {"max_concurrency": "Max concurrency"}
