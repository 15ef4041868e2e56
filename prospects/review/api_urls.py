from django.urls import path

from prospects.review import api, pace_api

urlpatterns = [
    path(
        "drafts/<uuid:pk>/approve/",
        api.DraftApproveView.as_view(),
        name="api-draft-approve",
    ),
    path(
        "drafts/<uuid:pk>/correct/",
        api.DraftCorrectView.as_view(),
        name="api-draft-correct",
    ),
    path("drafts/<uuid:pk>/reject/", api.DraftRejectView.as_view(), name="api-draft-reject"),
    path(
        "drafts/<uuid:pk>/cancel-send/",
        api.DraftCancelSendView.as_view(),
        name="api-draft-cancel-send",
    ),
    path(
        "drafts/<uuid:pk>/draft-again/",
        api.DraftAgainView.as_view(),
        name="api-draft-again",
    ),
    path("settings/pace/", pace_api.SendPaceView.as_view(), name="api-send-pace"),
    path("decisions/to-label/", api.DecisionsToLabelView.as_view(), name="api-decisions-to-label"),
    path("decisions/labels/", api.DecisionBulkLabelView.as_view(), name="api-decision-labels"),
    path(
        "decisions/<uuid:pk>/label/",
        api.DecisionLabelView.as_view(),
        name="api-decision-label",
    ),
    path("corrections/", api.CorrectionListView.as_view(), name="api-corrections"),
    path("corrections/<uuid:pk>/", api.CorrectionDetailView.as_view(), name="api-correction"),
]
