from django.urls import path

from prospects.inbound import views

urlpatterns = [
    path("threads/", views.thread_list, name="thread_list"),
    path("threads/<uuid:thread_id>/", views.thread_detail, name="thread_detail"),
    path(
        "threads/<uuid:thread_id>/safety-clear/",
        views.thread_safety_clear,
        name="thread_safety_clear",
    ),
    path("threads/<uuid:thread_id>/outcome/", views.thread_outcome, name="thread_outcome"),
]
