"""Panel pages for drafting jobs: the list, starting one, its progress, cancel and retry."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from core.forms import add_service_error
from core.roles import allow, can_start_jobs, has_any_role
from prospects import selectors
from prospects.drafting.runner import backlog
from prospects.jobs.forms import JobStartForm
from prospects.jobs.scope import scope_words
from prospects.jobs.services import (
    job_cancel,
    job_create,
    job_progress,
    job_retry_failed,
    job_retryable_count,
)
from prospects.models import DraftJob

JOBS_PER_PAGE = 20


def _jobs_page(request, form: JobStartForm, status: int = 200):
    page = Paginator(selectors.jobs_recent(), JOBS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "prospects/jobs.html",
        {
            "page": page,
            "backlog": backlog(),
            "form": form,
            "can_start": can_start_jobs(request.user),
        },
        status=status,
    )


@allow(has_any_role)
def job_list(request):
    return _jobs_page(request, JobStartForm())


@allow(can_start_jobs)
@require_POST
def job_start(request):
    """Starts a job over the ticked threads, or over the held drafts a filter picks."""
    form = JobStartForm(request.POST)
    if form.is_valid():
        try:
            job = job_create(
                user=request.user, engine_id=form.cleaned_data["engine_id"], **form.scope
            )
        except ValidationError as invalid:
            # job_create's scope and filter errors name no field: they concern the whole form.
            add_service_error(form, invalid)
        else:
            messages.success(request, f"Started a drafting job over {job.items.count()} threads.")
            return redirect("prospects:job_detail", job_id=job.id)
    return _jobs_page(request, form, status=400)


def _job_context(request, job: DraftJob) -> dict:
    return {
        "job": job,
        "progress": job_progress(job),
        "scope": scope_words(job.scope),
        "retryable": job_retryable_count(job),
        "items": job.items.select_related("thread", "draft")[:500],
        "can_start": can_start_jobs(request.user),
    }


@allow(has_any_role)
def job_detail(request, job_id):
    job = get_object_or_404(DraftJob, id=job_id)
    return render(request, "prospects/job_detail.html", _job_context(request, job))


@allow(has_any_role)
def job_detail_hx(request, job_id):
    """The job's progress, actions and rows together, polled while the job runs, so no row
    says "Queued" under a header that says "Done"; 286 stops the polling."""
    job = get_object_or_404(DraftJob, id=job_id)
    response = render(request, "prospects/_job_body.html", _job_context(request, job))
    if not job.is_live:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@allow(has_any_role)
def job_progress_hx(request, job_id):
    """The progress bar of a job in a list, polled while the job is live; 286 stops it."""
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
    if not job.is_live:
        # The page offered it before the job finished.
        messages.info(request, "The job had already finished: there was nothing to cancel.")
    else:
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
