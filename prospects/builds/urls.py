from django.urls import path

from prospects.builds import engine_views, gpu_views, tuning_views

urlpatterns = [
    path("engines/", engine_views.engine_list, name="engine_list"),
    path("engines/<str:engine_id>/", engine_views.engine_detail, name="engine_detail"),
    path("engines/<str:engine_id>/export/", engine_views.engine_export, name="engine_export"),
    path("settings/", engine_views.engine_settings, name="settings"),
    path(
        "settings/engine_hx/",
        engine_views.engine_change_hx,
        {"which": "draft_engine"},
        name="engine_change_hx",
    ),
    path(
        "settings/classifier_hx/",
        engine_views.engine_change_hx,
        {"which": "classifier_engine"},
        name="classifier_change_hx",
    ),
    path("settings/uncertain_move_hx/", engine_views.uncertain_move_hx, name="uncertain_move_hx"),
    path(
        "engines/<str:engine_id>/tuning_hx/",
        tuning_views.build_tuning_hx,
        name="build_tuning_hx",
    ),
    path("engines/<str:engine_id>/evaluate/", tuning_views.build_evaluate, name="build_evaluate"),
    path(
        "engines/<str:engine_id>/concurrency/",
        tuning_views.build_concurrency,
        name="build_concurrency",
    ),
    path("engines/<str:engine_id>/train/", tuning_views.build_train, name="build_train"),
    path("engines/<str:engine_id>/promote/", tuning_views.build_promote_view, name="build_promote"),
    path("engines/<str:engine_id>/guards/", tuning_views.promotion_guards, name="promotion_guards"),
    path("gpu/", gpu_views.gpu_page, name="gpu"),
    path("gpu/builds_hx/", gpu_views.gpu_builds_hx, name="gpu_builds_hx"),
    path("gpu/action_hx/", gpu_views.gpu_action_hx, name="gpu_action_hx"),
]
