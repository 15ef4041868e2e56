from django.urls import path

from prospects.experiments import views

urlpatterns = [
    path("experiments/", views.experiment_list, name="experiment_list"),
    path("experiments/new/", views.experiment_new, name="experiment_new"),
    path(
        "experiments/<uuid:experiment_id>/",
        views.experiment_detail,
        name="experiment_detail",
    ),
    path(
        "experiments/<uuid:experiment_id>/results.csv",
        views.experiment_csv,
        name="experiment_csv",
    ),
    path(
        "experiments/<uuid:experiment_id>/promote/",
        views.experiment_promote_view,
        name="experiment_promote",
    ),
    path(
        "experiments/<uuid:experiment_id>/rollback/",
        views.experiment_rollback_view,
        name="experiment_rollback",
    ),
    path(
        "experiments/<uuid:experiment_id>/<str:action>/",
        views.experiment_action,
        name="experiment_action",
    ),
]
