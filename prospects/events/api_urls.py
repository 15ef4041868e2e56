from django.urls import path

from prospects.events import api

urlpatterns = [
    path("webhooks/", api.WebhookListView.as_view(), name="api-webhooks"),
    path("webhooks/deliveries/", api.DeliveryListView.as_view(), name="api-webhook-deliveries"),
    path(
        "webhooks/deliveries/<uuid:pk>/redeliver/",
        api.DeliveryRedeliverView.as_view(),
        name="api-webhook-delivery-redeliver",
    ),
    path("webhooks/<uuid:pk>/", api.WebhookDetailView.as_view(), name="api-webhook"),
]
