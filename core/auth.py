"""Logging in: the panel's form, Django admin's and the API's tokens, all rate limited.

API tokens are knox tokens: stored as a hash, expiring after API_TOKEN_TTL_HOURS, and
revocable one by one (log out) or all at once.
"""

import unicodedata
from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.template.loader import render_to_string
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited
from drf_spectacular.utils import extend_schema, inline_serializer
from knox.models import AuthToken
from knox.views import LogoutAllView, LogoutView
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.fields import StrictCharField
from core.roles import public
from core.serializers import BodySerializer


def _login_rate(group, request) -> str:
    return settings.LOGIN_RATE_LIMIT


def login_budget_spent(request, *, username: str) -> bool:
    """Counts a sign-in attempt against two budgets, per client address and per username
    (LOGIN_RATE_LIMIT each); True when either is spent. The panel, Django admin and the API
    token endpoint share both, so neither many names from one address nor one name from
    many addresses (or surfaces) gets more guesses. The address is read where
    RATELIMIT_IP_META_KEY says (behind nginx, the header it sets)."""
    # The sign-in form reads the name as NFKC, and any case may be typed: one budget for
    # all. Prefixed, so that no name shares a budget with the address it spells.
    name = "username:" + unicodedata.normalize("NFKC", username).casefold()
    spent = [
        is_ratelimited(
            request,
            group="login",
            key=key,
            rate=_login_rate,
            method="POST",
            increment=True,
        )
        for key in ("ip", lambda group, request: name)
    ]
    return any(spent)


def login_rate_limited(view):
    """The panel's and Django admin's sign-in views, refused (429, RATELIMIT_VIEW) once a
    budget of ``login_budget_spent`` is spent."""

    @wraps(view)
    def limited(request, *args, **kwargs):
        if request.method == "POST" and login_budget_spent(
            request, username=request.POST.get("username", "")
        ):
            raise Ratelimited()
        return view(request, *args, **kwargs)

    return limited


class LoginForm(AuthenticationForm):
    """Django's sign-in form, refusing in the panel's words."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your username and password didn't match. Please try again.",
    }


login = public(login_rate_limited(auth_views.LoginView.as_view(authentication_form=LoginForm)))
admin_login = public(login_rate_limited(admin.site.login))
logout = public(auth_views.LogoutView.as_view())


def ratelimited(request, exception) -> HttpResponse:
    """What a client over a rate limit sees (RATELIMIT_VIEW)."""
    body = render_to_string("registration/ratelimited.html", request=request)
    return HttpResponse(body, status=status.HTTP_429_TOO_MANY_REQUESTS)


class TokenRequestSerializer(BodySerializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=4096, trim_whitespace=False)


class TokenView(APIView):
    """Exchanges a username and password for an expiring API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=TokenRequestSerializer,
        responses=inline_serializer(
            "TokenResponse",
            {"token": serializers.CharField(), "expiry": serializers.DateTimeField()},
        ),
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if login_budget_spent(request, username=data.validated_data["username"]):
            raise Throttled(detail="Too many sign-in attempts. Try again in a minute.")
        user = authenticate(request, **data.validated_data)
        if user is None:
            raise ValidationError(
                {"non_field_errors": ["Unable to log in with the username and password given."]}
            )
        instance, token = AuthToken.objects.create(user)
        return Response({"token": token, "expiry": instance.expiry}, status=status.HTTP_200_OK)


class TokenLogoutView(LogoutView):
    """Revokes the token the request is made with."""

    # Any signed-in user may revoke their own tokens, with a role or without.
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format)


class TokenLogoutAllView(LogoutAllView):
    """Revokes every token of the requesting user."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format)
