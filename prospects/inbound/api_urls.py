from django.urls import path

from prospects.inbound import api, lists

urlpatterns = [
    path("inbound/", api.InboundView.as_view(), name="api-inbound"),
    path("drafts/", api.DraftListView.as_view(), name="api-drafts"),
    path("drafts/<uuid:pk>/", api.DraftDetailView.as_view(), name="api-draft"),
    path("threads/", lists.ThreadListView.as_view(), name="api-threads"),
    path("decisions/", lists.DecisionListView.as_view(), name="api-decisions"),
    path("threads/<uuid:pk>/", api.ThreadDetailView.as_view(), name="api-thread"),
    path(
        "threads/<uuid:pk>/safety-clear/",
        api.ThreadSafetyClearView.as_view(),
        name="api-thread-safety-clear",
    ),
    path("threads/<uuid:pk>/outcome/", api.ThreadOutcomeView.as_view(), name="api-thread-outcome"),
]
