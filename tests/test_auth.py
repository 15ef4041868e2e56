"""Signing in: hashed, expiring, revocable API tokens; rate-limited logins."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from engines.clock import now
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _token(username="cora", password=PASSWORD):
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )


def _with(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def test_a_token_is_issued_stored_hashed_and_expires(coworker, settings):
    response = _token()
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) == 64
    stored = AuthToken.objects.get(user=coworker)
    assert token not in (stored.digest, stored.token_key)
    assert stored.expiry - now() == pytest.approx(timedelta(days=30), abs=timedelta(minutes=1))
    assert _with(token).get("/api/drafts/").status_code == 200
    with time_machine.travel(now() + timedelta(days=31)):
        assert _with(token).get("/api/drafts/").status_code == 401


def test_a_wrong_password_gets_no_token(coworker):
    response = _token(password="nope")
    assert response.status_code == 400
    assert "Unable to log in" in response.json()["non_field_errors"][0]
    assert not AuthToken.objects.exists()


def test_logging_out_revokes_the_token(coworker):
    token = _token().json()["token"]
    assert _with(token).post("/api/auth/logout/").status_code == 204
    assert _with(token).get("/api/drafts/").status_code == 401


def test_token_requests_are_throttled(coworker):
    # API_THROTTLE_LOGIN: ten a minute by default.
    statuses = [_token(password="guess").status_code for _ in range(11)]
    assert statuses == [400] * 10 + [429]


def test_the_panel_login_is_rate_limited(coworker, settings):
    settings.LOGIN_RATE_LIMIT = "3/m"
    browser = Client()
    statuses = [
        browser.post("/accounts/login/", {"username": "cora", "password": "guess"}).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    refused = browser.post("/accounts/login/", {"username": "cora", "password": PASSWORD})
    assert refused.status_code == 429
    assert "Too many sign-in attempts" in refused.content.decode()


def test_the_django_admin_login_is_rate_limited_with_the_panels(coworker, settings):
    settings.LOGIN_RATE_LIMIT = "3/m"
    browser = Client()
    guess = {"username": "cora", "password": "guess"}
    statuses = [browser.post("/django-admin/login/", guess).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    # One budget for both forms: guesses at the admin's count at the panel's too.
    refused = browser.post("/accounts/login/", {"username": "cora", "password": PASSWORD})
    assert refused.status_code == 429
