from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core import api_errors, auth, health
from prospects.metrics import metrics_view

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("accounts/login/", auth.login, name="login"),
    path("accounts/logout/", auth.logout, name="logout"),
    # Before the admin's own login/ URL, which it replaces with a rate-limited one.
    path("django-admin/login/", auth.admin_login),
    path("django-admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/auth/token/", auth.TokenView.as_view(), name="api-token"),
    path("api/auth/logout/", auth.TokenLogoutView.as_view(), name="api-logout"),
    path("api/auth/logout-all/", auth.TokenLogoutAllView.as_view(), name="api-logout-all"),
    path("api/", include("prospects.api_urls")),
    path("api/", include("builder.api_urls")),
    # A JSON 404 for any other /api/ path, DEBUG or not.
    re_path(r"^api/", api_errors.ApiNotFound.as_view()),
    path("", include("builder.urls")),
    path("", include("prospects.urls")),
]

handler404 = "core.api_errors.not_found"
handler400 = "core.api_errors.bad_request"
