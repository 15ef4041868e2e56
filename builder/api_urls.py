from django.urls import path

from builder import api

urlpatterns = [
    path("workflows/", api.WorkflowListView.as_view(), name="api-workflows"),
    path("workflows/resolve/", api.ResolveView.as_view(), name="api-workflow-resolve"),
    path("workflows/<uuid:pk>/", api.WorkflowDetailView.as_view(), name="api-workflow"),
    path("workflows/<uuid:pk>/versions/", api.VersionListView.as_view(), name="api-versions"),
    path(
        "workflows/<uuid:pk>/versions/<int:number>/",
        api.VersionDetailView.as_view(),
        name="api-version",
    ),
    path(
        "workflows/<uuid:pk>/versions/<int:number>/publish/",
        api.VersionPublishView.as_view(),
        name="api-version-publish",
    ),
    path(
        "workflows/<uuid:pk>/versions/<int:number>/rollback/",
        api.VersionRollbackView.as_view(),
        name="api-version-rollback",
    ),
    path(
        "workflows/<uuid:pk>/versions/<int:number>/archive/",
        api.VersionArchiveView.as_view(),
        name="api-version-archive",
    ),
    path("workflows/<uuid:pk>/diff/", api.DiffView.as_view(), name="api-workflow-diff"),
    path("snippets/", api.SnippetListView.as_view(), name="api-snippets"),
    path("snippets/<uuid:pk>/", api.SnippetDetailView.as_view(), name="api-snippet"),
]
