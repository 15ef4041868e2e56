"""The REST API, each capability's endpoints from its folder."""

from django.urls import include, path

from prospects.pipeline_api import PipelineSettingsView

urlpatterns = [
    path("settings/pipeline/", PipelineSettingsView.as_view(), name="api-pipeline-settings"),
    path("", include("prospects.inbound.api_urls")),
    path("", include("prospects.review.api_urls")),
    path("", include("prospects.jobs.api_urls")),
    path("", include("prospects.experiments.api_urls")),
    path("", include("prospects.builds.api_urls")),
    path("", include("prospects.events.api_urls")),
]
