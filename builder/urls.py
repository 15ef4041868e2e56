from django.urls import path

from builder import views

app_name = "builder"

urlpatterns = [
    path("workflows/", views.workflow_list, name="workflow_list"),
    path("workflows/new/", views.workflow_editor, name="workflow_new"),
    path("workflows/steps_hx/", views.editor_steps_hx, name="editor_steps_hx"),
    path("workflows/snippet_hx/", views.snippet_preview_hx, name="snippet_preview_hx"),
    path("workflows/<uuid:workflow_id>/edit/", views.workflow_editor, name="workflow_edit"),
    path("workflows/<uuid:workflow_id>/", views.workflow_history, name="workflow_history"),
    path("workflows/<uuid:workflow_id>/diff/", views.workflow_diff, name="workflow_diff"),
    path(
        "workflows/<uuid:workflow_id>/versions/<int:number>/publish/",
        views.workflow_publish_page,
        name="workflow_publish",
    ),
    path(
        "workflows/<uuid:workflow_id>/versions/<int:number>/rollback/",
        views.workflow_rollback_view,
        name="workflow_rollback",
    ),
    path(
        "workflows/<uuid:workflow_id>/versions/<int:number>/archive/",
        views.workflow_archive_view,
        name="workflow_archive",
    ),
    path("snippets/", views.snippet_list, name="snippet_list"),
    path("snippets/new/", views.snippet_create, name="snippet_create"),
    path("snippets/<uuid:snippet_id>/", views.snippet_detail, name="snippet_detail"),
]
