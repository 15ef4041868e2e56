from django.urls import path

from prospects.builds import engine_api, evaluation_api, gpu_api, training_api

urlpatterns = [
    path("scores/", engine_api.ScoresView.as_view(), name="api-scores"),
    path("exports/tuning/", engine_api.TuningExportView.as_view(), name="api-export-tuning"),
    path("settings/draft-engine/", engine_api.DraftEngineView.as_view(), name="api-draft-engine"),
    path(
        "settings/classifier-engine/",
        engine_api.ClassifierEngineView.as_view(),
        name="api-classifier-engine",
    ),
    path(
        "settings/uncertain-move-threshold/",
        engine_api.UncertainMoveThresholdView.as_view(),
        name="api-uncertain-move-threshold",
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
    path(
        "gpu/instances/<uuid:pk>/credentials/",
        gpu_api.DropletCredentialsView.as_view(),
        name="api-gpu-instance-credentials",
    ),
]
