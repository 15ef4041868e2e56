"""The panel's pages: the dashboard here, each capability's pages from its folder."""

from django.urls import include, path

from prospects import pipeline_views, views

app_name = "prospects"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("pipeline/", pipeline_views.pipeline_settings_page, name="pipeline_settings"),
    path("", include("prospects.inbound.urls")),
    path("", include("prospects.review.urls")),
    path("", include("prospects.jobs.urls")),
    path("", include("prospects.experiments.urls")),
    path("", include("prospects.builds.urls")),
    path("", include("prospects.events.urls")),
]
