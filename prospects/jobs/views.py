"""Panel pages for drafting jobs: the list, starting one, its progress, cancel and retry."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from builder.selectors import known_template_keys
from config.roles import (
    allow,
    can_start_jobs,
    has_any_role,
)
from engines.holds import HoldReason
from engines.selectors import (
    selectable_engine_ids,
)
from prospects import selectors
from prospects.jobs.services import backlog, job_cancel, job_create, job_progress, job_retry_failed
from prospects.models import DraftJob

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
        flash_errors(request, invalid)
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


def flash_errors(request, invalid: ValidationError) -> None:
    for field, problems in invalid.message_dict.items():
        messages.error(request, f"{field}: {' '.join(problems)}")
