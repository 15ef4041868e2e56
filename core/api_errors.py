"""Bad input answers 400 with field errors, never 500; a state that forbids the request
answers 409; the API answers its errors as JSON, those Django raises before any view
included."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views.defaults import bad_request as defaults_bad_request
from django.views.defaults import page_not_found
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler


class StateConflict(DjangoValidationError):
    """The object's state does not allow this now (a finished experiment started, a draft
    with a body drafted again): 409 in the API, with the same field errors a 400 has; a
    ``ValidationError`` still, so a page shows it as a form error."""


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        response = drf_exception_handler(serializers.ValidationError(detail), context)
        if isinstance(exc, StateConflict):
            response.status_code = status.HTTP_409_CONFLICT
        return response
    return drf_exception_handler(exc, context)


class ApiNotFound(APIView):
    """The last route under /api/: a path no other route matches answers the API's 404
    even where ``DEBUG`` is on (Django's debug page would bypass ``not_found``), for any
    method. An API view like the others: no session, so no CSRF page, and JSON."""

    authentication_classes = []
    permission_classes = [AllowAny]
    schema = None  # not an operation of the API

    def get(self, request, *args, **kwargs):
        raise NotFound

    post = put = patch = delete = get


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
