from django.urls import path

from prospects.events import views

urlpatterns = [
    path("webhooks/", views.webhook_list, name="webhook_list"),
    path("webhooks/new/", views.webhook_create, name="webhook_create"),
    path("webhooks/deliveries/", views.delivery_list, name="webhook_delivery_list"),
    path(
        "webhooks/deliveries/<uuid:delivery_id>/send-again/",
        views.delivery_send_again_view,
        name="webhook_delivery_send_again",
    ),
    path("webhooks/<uuid:subscription_id>/", views.webhook_edit, name="webhook_edit"),
    path(
        "webhooks/<uuid:subscription_id>/deactivate/",
        views.webhook_deactivate,
        name="webhook_deactivate",
    ),
]
