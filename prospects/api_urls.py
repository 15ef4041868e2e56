from django.urls import path

from prospects import (
    api,
    evaluation_api,
    experiments_api,
    gpu_api,
    jobs_api,
    review_api,
    training_api,
)

urlpatterns = [
    path("inbound/", api.InboundView.as_view(), name="api-inbound"),
    path("drafts/", api.DraftListView.as_view(), name="api-drafts"),
    path("drafts/<uuid:pk>/", api.DraftDetailView.as_view(), name="api-draft"),
    path(
        "drafts/<uuid:pk>/approve/",
        review_api.DraftApproveView.as_view(),
        name="api-draft-approve",
    ),
    path(
        "drafts/<uuid:pk>/correct/",
        review_api.DraftCorrectView.as_view(),
        name="api-draft-correct",
    ),
    path("drafts/<uuid:pk>/reject/", review_api.DraftRejectView.as_view(), name="api-draft-reject"),
    path(
        "drafts/<uuid:pk>/draft-again/",
        review_api.DraftAgainView.as_view(),
        name="api-draft-again",
    ),
    path(
        "decisions/<uuid:pk>/label/",
        review_api.DecisionLabelView.as_view(),
        name="api-decision-label",
    ),
    path("corrections/", review_api.CorrectionListView.as_view(), name="api-corrections"),
    path(
        "corrections/<uuid:pk>/", review_api.CorrectionDetailView.as_view(), name="api-correction"
    ),
    path("exports/tuning/", review_api.TuningExportView.as_view(), name="api-export-tuning"),
    path("threads/<uuid:pk>/", api.ThreadDetailView.as_view(), name="api-thread"),
    path("jobs/", jobs_api.JobListView.as_view(), name="api-jobs"),
    path("jobs/backlog/", jobs_api.BacklogView.as_view(), name="api-jobs-backlog"),
    path("jobs/<uuid:pk>/", jobs_api.JobDetailView.as_view(), name="api-job"),
    path("jobs/<uuid:pk>/cancel/", jobs_api.JobCancelView.as_view(), name="api-job-cancel"),
    path("jobs/<uuid:pk>/retry/", jobs_api.JobRetryView.as_view(), name="api-job-retry"),
    path(
        "experiments/<uuid:pk>/results/",
        experiments_api.ExperimentResultsView.as_view(),
        name="api-experiment-results",
    ),
    path(
        "experiments/<uuid:pk>/results.csv",
        experiments_api.ExperimentResultsCsvView.as_view(),
        name="api-experiment-results-csv",
    ),
    path(
        "experiments/<uuid:pk>/promote/",
        experiments_api.ExperimentPromoteView.as_view(),
        name="api-experiment-promote",
    ),
    path(
        "experiments/<uuid:pk>/rollback/",
        experiments_api.ExperimentRollbackView.as_view(),
        name="api-experiment-rollback",
    ),
    path("training-runs/", training_api.TrainingRunListView.as_view(), name="api-training-runs"),
    path(
        "training-runs/<uuid:pk>/",
        training_api.TrainingRunDetailView.as_view(),
        name="api-training-run",
    ),
    path(
        "training-runs/<uuid:pk>/job/",
        training_api.TrainingJobView.as_view(),
        name="api-training-run-job",
    ),
    path(
        "training-runs/<uuid:pk>/report/",
        training_api.TrainingReportView.as_view(),
        name="api-training-run-report",
    ),
    path("evaluations/", evaluation_api.EvaluationListView.as_view(), name="api-evaluations"),
    path(
        "evaluations/<uuid:pk>/",
        evaluation_api.EvaluationDetailView.as_view(),
        name="api-evaluation",
    ),
    path("gpu/", gpu_api.GpuView.as_view(), name="api-gpu"),
    path("gpu/hold/", gpu_api.GpuHoldView.as_view(), name="api-gpu-hold"),
    path("gpu/release/", gpu_api.GpuReleaseView.as_view(), name="api-gpu-release"),
    path("settings/draft-engine/", api.DraftEngineView.as_view(), name="api-draft-engine"),
    path(
        "settings/classifier-engine/",
        api.ClassifierEngineView.as_view(),
        name="api-classifier-engine",
    ),
]
