from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token

from prospects import api

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("inbound/", api.InboundView.as_view(), name="api-inbound"),
    path("drafts/", api.DraftListView.as_view(), name="api-drafts"),
    path("drafts/<uuid:pk>/", api.DraftDetailView.as_view(), name="api-draft"),
    path("threads/<uuid:pk>/", api.ThreadDetailView.as_view(), name="api-thread"),
    path("settings/draft-engine/", api.DraftEngineView.as_view(), name="api-draft-engine"),
]
