from django.urls import path

from prospects import views

app_name = "prospects"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("threads/", views.thread_list, name="thread_list"),
    path("threads/<uuid:thread_id>/", views.thread_detail, name="thread_detail"),
    path("drafts/<uuid:draft_id>/approve_hx/", views.draft_approve_hx, name="draft_approve_hx"),
    path("drafts/<uuid:draft_id>/reject_hx/", views.draft_reject_hx, name="draft_reject_hx"),
    path("settings/", views.engine_settings, name="settings"),
    path(
        "workflows/<uuid:workflow_id>/versions/<int:number>/preview/",
        views.workflow_preview,
        name="workflow_preview",
    ),
    path("settings/engine_hx/", views.engine_change_hx, name="engine_change_hx"),
]
