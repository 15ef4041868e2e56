from django.urls import path

from builder import api, experiments_api

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
    path("experiments/", experiments_api.ExperimentListView.as_view(), name="api-experiments"),
    path(
        "experiments/<uuid:pk>/",
        experiments_api.ExperimentDetailView.as_view(),
        name="api-experiment",
    ),
    path(
        "experiments/<uuid:pk>/start/",
        experiments_api.ExperimentStartView.as_view(),
        name="api-experiment-start",
    ),
    path(
        "experiments/<uuid:pk>/pause/",
        experiments_api.ExperimentPauseView.as_view(),
        name="api-experiment-pause",
    ),
    path("snippets/", api.SnippetListView.as_view(), name="api-snippets"),
    path("snippets/<uuid:pk>/", api.SnippetDetailView.as_view(), name="api-snippet"),
]
