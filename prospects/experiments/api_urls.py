from django.urls import path

from prospects.experiments import api

urlpatterns = [
    path(
        "experiments/<uuid:pk>/results/",
        api.ExperimentResultsView.as_view(),
        name="api-experiment-results",
    ),
    path(
        "experiments/<uuid:pk>/results.csv",
        api.ExperimentResultsCsvView.as_view(),
        name="api-experiment-results-csv",
    ),
    path(
        "experiments/<uuid:pk>/promote/",
        api.ExperimentPromoteView.as_view(),
        name="api-experiment-promote",
    ),
    path(
        "experiments/<uuid:pk>/rollback/",
        api.ExperimentRollbackView.as_view(),
        name="api-experiment-rollback",
    ),
]
