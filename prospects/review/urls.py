from django.urls import path

from prospects.review import decisions, pace_views, views

urlpatterns = [
    path("review/", views.review_queue, name="review"),
    path("drafts/<uuid:draft_id>/approve_hx/", views.draft_approve_hx, name="draft_approve_hx"),
    path("drafts/<uuid:draft_id>/reject_hx/", views.draft_reject_hx, name="draft_reject_hx"),
    path(
        "review/<uuid:draft_id>/<str:action>/",
        views.review_action_hx,
        name="review_action_hx",
    ),
    path("sends/", pace_views.scheduled_sends, name="scheduled_sends"),
    path("sends/<uuid:draft_id>/cancel/", pace_views.send_cancel_view, name="send_cancel"),
    path("settings/pace/", pace_views.send_pace_settings, name="send_pace"),
    path("decisions/", decisions.decision_list, name="decision_list"),
    path("decisions/label/", decisions.decision_label_bulk, name="decision_label_bulk"),
    path(
        "decisions/<uuid:decision_id>/label_hx/",
        decisions.decision_label_hx,
        name="decision_label_hx",
    ),
    path("corrections/", views.correction_list, name="correction_list"),
    path(
        "corrections/<uuid:correction_id>/",
        views.correction_detail,
        name="correction_detail",
    ),
    path(
        "workflows/<uuid:workflow_id>/scores_hx/",
        views.workflow_scores_hx,
        name="workflow_scores_hx",
    ),
]
