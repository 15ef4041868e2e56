"""The panel: thin views over selectors and services."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh, HttpResponseStopPolling

from builder.selectors import known_template_keys
from config.roles import (
    allow,
    can_change_engine,
    can_review,
    can_start_jobs,
    can_use_gpu_levers,
    has_any_role,
)
from engines.forms import GpuPolicyForm
from engines.gpu_billing import describe as describe_billing
from engines.gpu_lifecycle import policy_settings, provision_blocker
from engines.holds import HoldReason
from engines.selectors import (
    classifier_build_ids,
    gpu_builds,
    gpu_operator_actions,
    gpu_policy_history,
    gpu_spend,
    gpu_timeline,
    model_endpoints,
    selectable_engine_ids,
)
from engines.services import gpu_hold_warm, gpu_policy_update, gpu_release_now
from prospects import selectors
from prospects.classify import RULES
from prospects.gpu import build_loads
from prospects.jobs import backlog, job_cancel, job_create, job_progress, job_retry_failed
from prospects.models import Draft, DraftJob, Thread
from prospects.review import DraftConflict, draft_approve, draft_reject
from prospects.services import classifier_engine_set, draft_engine_set

THREADS_PER_PAGE = 25


@allow(has_any_role)
def dashboard(request):
    return render(
        request,
        "prospects/dashboard.html",
        {
            "counts": selectors.draft_counts_by_status(),
            "live_jobs": [(job, job_progress(job)) for job in selectors.jobs_live()],
            "backlog": backlog(),
            "settings_row": selectors.pipeline_settings(),
            "decisions": selectors.recent_decisions(),
            "endpoints": model_endpoints(),
        },
    )


@allow(has_any_role)
def thread_list(request):
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.threads_search(query), THREADS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "query": query, "engine_ids": selectable_engine_ids()}
    template = "prospects/_thread_list.html" if request.htmx else "prospects/thread_list.html"
    return render(request, template, context)


@allow(has_any_role)
def thread_detail(request, thread_id):
    get_object_or_404(Thread, id=thread_id)
    return render(
        request,
        "prospects/thread_detail.html",
        {
            "thread": selectors.thread_with_history(thread_id),
            "can_review": can_review(request.user),
        },
    )


def _review_action(request, draft_id, action):
    draft = get_object_or_404(Draft, id=draft_id)
    try:
        draft = action(draft_id=draft.id, user=request.user)
    except DraftConflict as conflict:
        draft = conflict.draft
        messages.warning(request, f"Someone already acted on this draft: it is {draft.status}.")
    except ValidationError as invalid:
        messages.error(request, " ".join(invalid.messages) + " (The review queue can do it.)")
    return render(request, "prospects/_draft.html", {"draft": draft, "can_review": True})


@allow(can_review)
@require_POST
def draft_approve_hx(request, draft_id):
    return _review_action(request, draft_id, draft_approve)


@allow(can_review)
@require_POST
def draft_reject_hx(request, draft_id):
    return _review_action(request, draft_id, draft_reject)


@dataclass(frozen=True)
class _Switch:
    """One setting an admin flips on the Settings page, confirmed first, kept in history."""

    field: str
    title: str
    url_name: str
    element_id: str
    effect: str  # what changes once switched, for the confirmation
    choices: Callable[[], list[str]]
    apply: Callable[..., object]

    def context(self, row, user, **extra) -> dict:
        return {
            "switch": self,
            "current": getattr(row, self.field),
            "choices": self.choices(),
            "can_change": can_change_engine(user),
            **extra,
        }


SWITCHES = {
    "draft_engine": _Switch(
        "draft_engine",
        "Active draft engine",
        "prospects:engine_change_hx",
        "engine-form",
        "New drafts will be produced by",
        selectable_engine_ids,
        draft_engine_set,
    ),
    "classifier_engine": _Switch(
        "classifier_engine",
        "Move classifier",
        "prospects:classifier_change_hx",
        "classifier-form",
        "The moves of new live messages will be decided by",
        lambda: [RULES, *classifier_build_ids()],
        classifier_engine_set,
    ),
}


@allow(has_any_role)
def engine_settings(request):
    row = selectors.pipeline_settings()
    return render(
        request,
        "prospects/settings.html",
        {
            "switches": [switch.context(row, request.user) for switch in SWITCHES.values()],
            "history": selectors.settings_history(),
        },
    )


@allow(can_change_engine)
@require_POST
def engine_change_hx(request, which):
    """Step one asks for confirmation; step two (``confirm=yes``) flips the setting."""
    switch = SWITCHES[which]
    engine_id = request.POST.get(switch.field, "")
    row = selectors.pipeline_settings()
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "prospects/_engine_confirm.html",
            switch.context(row, request.user, engine_id=engine_id),
        )
    try:
        switch.apply(engine_id=engine_id, user=request.user)
    except ValidationError as error:
        return render(
            request,
            "prospects/_engine_form.html",
            switch.context(row, request.user, error=" ".join(error.message_dict[switch.field])),
        )
    messages.success(request, f"{switch.title} is now {engine_id}.")
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect("prospects:settings")


JOBS_PER_PAGE = 20


@allow(has_any_role)
def job_list(request):
    page = Paginator(selectors.jobs_recent(), JOBS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "prospects/jobs.html",
        {
            "page": page,
            "backlog": backlog(),
            "engine_ids": selectable_engine_ids(),
            "template_keys": known_template_keys(),
            "hold_reasons": HoldReason.choices,
            "can_start": can_start_jobs(request.user),
        },
    )


@allow(can_start_jobs)
@require_POST
def job_start(request):
    """Starts a job over the ticked threads, or over the held drafts a filter picks."""
    thread_ids = request.POST.getlist("thread_ids")
    filters = {
        key: request.POST.get(key, "")
        for key in ("draft_status", "hold_reason", "template_key")
        if request.POST.get(key)
    }
    try:
        job = job_create(
            user=request.user,
            thread_ids=thread_ids or None,
            filters=None if thread_ids else filters,
            engine_id=request.POST.get("engine_id", ""),
        )
    except ValidationError as invalid:
        _flash_errors(request, invalid)
        return redirect("prospects:job_list")
    messages.success(request, f"Started a drafting job over {job.items.count()} threads.")
    return redirect("prospects:job_detail", job_id=job.id)


@allow(has_any_role)
def job_detail(request, job_id):
    job = get_object_or_404(DraftJob, id=job_id)
    return render(
        request,
        "prospects/job_detail.html",
        {
            "job": job,
            "progress": job_progress(job),
            "items": job.items.select_related("thread", "draft")[:500],
            "can_start": can_start_jobs(request.user),
        },
    )


@allow(has_any_role)
def job_progress_hx(request, job_id):
    """The progress bar, polled while the job is live; 286 stops the polling."""
    job = get_object_or_404(DraftJob, id=job_id)
    response = render(
        request, "prospects/_job_progress.html", {"job": job, "progress": job_progress(job)}
    )
    if not job.is_live:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@allow(can_start_jobs)
@require_POST
def job_cancel_view(request, job_id):
    job = get_object_or_404(DraftJob, id=job_id)
    cancelled = job_cancel(job=job)
    messages.success(request, f"Cancelled the job; {cancelled} items will not run.")
    return redirect("prospects:job_detail", job_id=job.id)


@allow(can_start_jobs)
@require_POST
def job_retry_view(request, job_id):
    job = get_object_or_404(DraftJob, id=job_id)
    retried = job_retry_failed(job=job)
    messages.success(request, f"Queued {retried} failed or held items again.")
    return redirect("prospects:job_detail", job_id=job.id)


def _gpu_context(request) -> dict:
    return {
        "builds": gpu_builds(build_loads()),
        "spend": gpu_spend(),
        "provider_configured": bool(settings.DO_TOKEN),
        "provision_blocked": provision_blocker(),
        "is_admin_user": can_use_gpu_levers(request.user),
    }


@allow(has_any_role, write=can_use_gpu_levers)
def gpu_page(request):
    """The on-demand GPU: state per build, timeline, spend, and the admin's levers."""
    form = GpuPolicyForm(instance=policy_settings())
    if request.method == "POST":
        form = GpuPolicyForm(request.POST, instance=policy_settings())
        if form.is_valid():
            gpu_policy_update(user=request.user, **form.cleaned_data)
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
            "policy_history": gpu_policy_history(),
            "gpu_size": settings.DO_GPU_SIZE,
            "billing_rule": describe_billing(policy_settings().billing_rule(settings.DO_GPU_SIZE)),
            "form": form,
        },
    )


@allow(has_any_role)
def gpu_builds_hx(request):
    """The builds table, polled every few seconds."""
    return render(request, "prospects/_gpu_builds.html", _gpu_context(request))


@allow(can_use_gpu_levers)
@require_POST
def gpu_action_hx(request):
    """Step one asks for confirmation; step two (``confirm=yes``) holds or releases."""
    engine_id = request.POST.get("engine_id", "")
    action = request.POST.get("action", "")
    minutes = request.POST.get("minutes", "")
    if action not in ("hold", "release"):
        messages.error(request, "Choose hold or release.")
        return HttpResponseClientRefresh()
    if request.POST.get("confirm") != "yes":
        context = {"engine_id": engine_id, "action": action, "minutes": minutes}
        return render(request, "prospects/_gpu_confirm.html", context)
    try:
        if action == "hold":
            gpu_hold_warm(engine_id=engine_id, minutes=_int_or_zero(minutes), user=request.user)
            messages.success(request, f"{engine_id} is held warm for {minutes} minutes.")
        else:
            released = gpu_release_now(engine_id=engine_id, user=request.user)
            messages.success(request, f"Releasing {released} instance(s) of {engine_id}.")
    except ValidationError as invalid:
        _flash_errors(request, invalid)
    return HttpResponseClientRefresh()


def _flash_errors(request, invalid: ValidationError) -> None:
    for field, problems in invalid.message_dict.items():
        messages.error(request, f"{field}: {' '.join(problems)}")


def _int_or_zero(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0
