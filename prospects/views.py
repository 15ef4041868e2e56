"""The dashboard: the whole product at a glance (each capability's pages live in its folder)."""

from django.shortcuts import render

from core.roles import (
    allow,
    has_any_role,
)
from engines.selectors import model_endpoints
from prospects import selectors
from prospects.drafting.runner import backlog
from prospects.jobs.services import job_progress


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
