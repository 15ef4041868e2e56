from django.urls import path

from prospects.jobs import api

urlpatterns = [
    path("jobs/", api.JobListView.as_view(), name="api-jobs"),
    path("jobs/backlog/", api.BacklogView.as_view(), name="api-jobs-backlog"),
    path("jobs/<uuid:pk>/", api.JobDetailView.as_view(), name="api-job"),
    path("jobs/<uuid:pk>/cancel/", api.JobCancelView.as_view(), name="api-job-cancel"),
    path("jobs/<uuid:pk>/retry/", api.JobRetryView.as_view(), name="api-job-retry"),
]
