from django.urls import path

from prospects.jobs import playground_views, preview_views, views

urlpatterns = [
    path("jobs/", views.job_list, name="job_list"),
    path("playground/", playground_views.playground, name="playground"),
    path("playground/run/", playground_views.playground_run, name="playground_run"),
    path(
        "playground/runs/<uuid:run_id>/hx/",
        playground_views.playground_run_hx,
        name="playground_run_hx",
    ),
    path("jobs/new/", views.job_start, name="job_start"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<uuid:job_id>/detail_hx/", views.job_detail_hx, name="job_detail_hx"),
    path("jobs/<uuid:job_id>/progress_hx/", views.job_progress_hx, name="job_progress_hx"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel_view, name="job_cancel"),
    path("jobs/<uuid:job_id>/retry/", views.job_retry_view, name="job_retry"),
    path(
        "workflows/<uuid:workflow_id>/versions/<int:number>/preview/",
        preview_views.workflow_preview,
        name="workflow_preview",
    ),
    path(
        "preview-runs/<uuid:run_id>/progress_hx/",
        preview_views.preview_run_progress_hx,
        name="preview_run_progress_hx",
    ),
    path(
        "workflows/<uuid:workflow_id>/versions/<int:number>/preview/run/",
        preview_views.workflow_preview_run,
        name="workflow_preview_run",
    ),
]
