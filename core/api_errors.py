"""Bad input answers 400 with field errors, never 500; the API answers its errors as JSON,
those Django raises before any view included."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views.defaults import bad_request as defaults_bad_request
from django.views.defaults import page_not_found
from rest_framework import serializers
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = serializers.ValidationError(detail)
    return drf_exception_handler(exc, context)


def not_found(request, exception):
    """404 for a URL no route matches: the API's error shape under /api/, Django's page
    elsewhere (a client reading JSON never gets HTML)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def bad_request(request, exception):
    """400 for a request Django refuses before any view (too many fields, a suspicious
    header): the API's error shape under /api/."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults_bad_request(request, exception)
