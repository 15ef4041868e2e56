from django.urls import path

from prospects import build_views, experiment_views, preview_views, review_views, views

app_name = "prospects"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("threads/", views.thread_list, name="thread_list"),
    path("threads/<uuid:thread_id>/", views.thread_detail, name="thread_detail"),
    path("drafts/<uuid:draft_id>/approve_hx/", views.draft_approve_hx, name="draft_approve_hx"),
    path("drafts/<uuid:draft_id>/reject_hx/", views.draft_reject_hx, name="draft_reject_hx"),
    path("review/", review_views.review_queue, name="review"),
    path(
        "review/<uuid:draft_id>/<str:action>/",
        review_views.review_action_hx,
        name="review_action_hx",
    ),
    path("corrections/", review_views.correction_list, name="correction_list"),
    path(
        "corrections/<uuid:correction_id>/",
        review_views.correction_detail,
        name="correction_detail",
    ),
    path("engines/", review_views.engine_list, name="engine_list"),
    path("engines/<str:engine_id>/", review_views.engine_detail, name="engine_detail"),
    path("engines/<str:engine_id>/export/", review_views.engine_export, name="engine_export"),
    path(
        "engines/<str:engine_id>/tuning_hx/",
        build_views.build_tuning_hx,
        name="build_tuning_hx",
    ),
    path("engines/<str:engine_id>/evaluate/", build_views.build_evaluate, name="build_evaluate"),
    path(
        "engines/<str:engine_id>/concurrency/",
        build_views.build_concurrency,
        name="build_concurrency",
    ),
    path("engines/<str:engine_id>/train/", build_views.build_train, name="build_train"),
    path("engines/<str:engine_id>/promote/", build_views.build_promote_view, name="build_promote"),
    path("engines/<str:engine_id>/guards/", build_views.promotion_guards, name="promotion_guards"),
    path(
        "workflows/<uuid:workflow_id>/scores_hx/",
        review_views.workflow_scores_hx,
        name="workflow_scores_hx",
    ),
    path("experiments/", experiment_views.experiment_list, name="experiment_list"),
    path("experiments/new/", experiment_views.experiment_new, name="experiment_new"),
    path(
        "experiments/<uuid:experiment_id>/",
        experiment_views.experiment_detail,
        name="experiment_detail",
    ),
    path(
        "experiments/<uuid:experiment_id>/results.csv",
        experiment_views.experiment_csv,
        name="experiment_csv",
    ),
    path(
        "experiments/<uuid:experiment_id>/promote/",
        experiment_views.experiment_promote_view,
        name="experiment_promote",
    ),
    path(
        "experiments/<uuid:experiment_id>/rollback/",
        experiment_views.experiment_rollback_view,
        name="experiment_rollback",
    ),
    path(
        "experiments/<uuid:experiment_id>/<str:action>/",
        experiment_views.experiment_action,
        name="experiment_action",
    ),
    path("settings/", views.engine_settings, name="settings"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/new/", views.job_start, name="job_start"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<uuid:job_id>/progress_hx/", views.job_progress_hx, name="job_progress_hx"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel_view, name="job_cancel"),
    path("jobs/<uuid:job_id>/retry/", views.job_retry_view, name="job_retry"),
    path(
        "workflows/<uuid:workflow_id>/versions/<int:number>/preview/",
        preview_views.workflow_preview,
        name="workflow_preview",
    ),
    path(
        "workflows/<uuid:workflow_id>/versions/<int:number>/preview/run/",
        preview_views.workflow_preview_run,
        name="workflow_preview_run",
    ),
    path(
        "preview-runs/<uuid:run_id>/progress_hx/",
        preview_views.preview_run_progress_hx,
        name="preview_run_progress_hx",
    ),
    path(
        "settings/engine_hx/",
        views.engine_change_hx,
        {"which": "draft_engine"},
        name="engine_change_hx",
    ),
    path(
        "settings/classifier_hx/",
        views.engine_change_hx,
        {"which": "classifier_engine"},
        name="classifier_change_hx",
    ),
    path("gpu/", views.gpu_page, name="gpu"),
    path("gpu/builds_hx/", views.gpu_builds_hx, name="gpu_builds_hx"),
    path("gpu/action_hx/", views.gpu_action_hx, name="gpu_action_hx"),
]
