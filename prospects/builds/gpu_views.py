"""The on-demand GPU page: state per build, timeline, spend, the policy and the admin's levers."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from core.forms import add_service_error
from core.roles import (
    allow,
    can_use_gpu_levers,
    has_any_role,
)
from engines.billing import describe as describe_billing
from engines.billing import rule_errors
from engines.forms import GpuPolicyForms
from engines.gpu.lifecycle import policy_settings, provision_blocker
from engines.gpu.placements import planning_size
from engines.gpu.selectors import (
    gpu_builds,
    gpu_operator_actions,
    gpu_policy_history,
    gpu_spend,
    gpu_timeline,
)
from engines.gpu.services import gpu_hold_warm, gpu_policy_update, gpu_release_now
from engines.selectors import gpu_account_connected, model_endpoints
from prospects.builds.forms import GpuActionForm
from prospects.builds.gpu import build_loads
from prospects.builds.gpu_chart import grace_chart


def _gpu_context(request) -> dict:
    builds = gpu_builds(build_loads())
    for build in builds:
        build["grace_chart"] = grace_chart(build["grace_reading"])
    return {
        "builds": builds,
        "spend": gpu_spend(),
        "gpu_account_connected": gpu_account_connected(),
        "provision_blocked": provision_blocker(),
        "is_admin_user": can_use_gpu_levers(request.user),
    }


@allow(has_any_role, write=can_use_gpu_levers)
def gpu_page(request):
    """The on-demand GPU: state per build, timeline, spend, and the admin's levers."""
    policy = policy_settings()
    # Described before the form binds: a refused post must not show its unsaved rule.
    billing_rule = describe_billing(policy.billing_rule(planning_size(policy)))
    form = GpuPolicyForms(request.POST if request.method == "POST" else None, policy=policy)
    if form.is_valid():
        try:
            gpu_policy_update(user=request.user, **form.cleaned())
        except ValidationError as invalid:
            add_service_error(form.knobs, invalid)
        else:
            messages.success(request, "GPU policy saved.")
            return redirect("prospects:gpu")
    return render(
        request,
        "prospects/gpu.html",
        {
            **_gpu_context(request),
            "timeline": gpu_timeline(),
            "endpoints": model_endpoints(),
            "actions": gpu_operator_actions(),
            "policy_history": _described(gpu_policy_history()),
            "gpu_size": planning_size(policy),
            "billing_rule": billing_rule,
            "form": form,
        },
        status=400 if form.is_bound and not form.adding_row else 200,
    )


def _described(history) -> list[tuple]:
    """Each policy record with its billing rules in words (size slug, words)."""
    return [
        (
            record,
            [
                (slug, describe_billing(rule) if not rule_errors(rule) else "not a valid rule")
                for slug, rule in record.billing_rules.items()
            ],
        )
        for record in history
    ]


@allow(has_any_role)
def gpu_builds_hx(request):
    """The builds table, polled every few seconds."""
    return render(request, "prospects/_gpu_builds.html", _gpu_context(request))


@allow(can_use_gpu_levers)
@require_POST
def gpu_action_hx(request):
    """Step one asks for confirmation; step two (``confirm``) holds or releases. A problem
    comes back in the confirmation's place, the fields open to fix it."""
    form = GpuActionForm(request.POST)
    if form.is_valid():
        engine_id, action, minutes = (
            form.cleaned_data[name] for name in ("engine_id", "action", "minutes")
        )
        if not form.cleaned_data["confirm"]:
            return render(request, "prospects/_gpu_confirm.html", {"form": form})
        try:
            if action == "hold":
                gpu_hold_warm(engine_id=engine_id, minutes=minutes, user=request.user)
                messages.success(request, f"{engine_id} is held warm for {minutes} minutes.")
            else:
                released = gpu_release_now(engine_id=engine_id, user=request.user)
                messages.success(request, f"Releasing {released} instance(s) of {engine_id}.")
        except ValidationError as invalid:
            add_service_error(form, invalid)
        else:
            return HttpResponseClientRefresh()
    return render(request, "prospects/_gpu_confirm.html", {"form": form}, status=400)
