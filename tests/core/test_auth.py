"""Signing in: hashed, expiring, revocable API tokens; rate-limited logins."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from core.clock import now
from tests.support.factories import PASSWORD

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


def _from(address: int) -> dict:
    """A caller's address as nginx passes it on, and a forwarded-for it may forge."""
    return {"HTTP_X_REAL_IP": f"203.0.113.{address}", "HTTP_X_FORWARDED_FOR": f"10.0.0.{address}"}


@pytest.fixture
def behind_nginx(settings, clock):
    # The clock stopped: a rate limit's window never rolls over in the middle of a test.
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    return settings


def test_one_username_gets_no_more_token_guesses_from_many_addresses(coworker, behind_nginx):
    guesses = {"username": "cora", "password": "guess"}
    statuses = [
        APIClient().post("/api/auth/token/", guesses, format="json", **_from(n)).status_code
        for n in range(14)
    ]
    right = APIClient().post(
        "/api/auth/token/", {"username": "cora", "password": PASSWORD}, format="json", **_from(99)
    )

    assert statuses == [400] * 10 + [429] * 4
    assert right.status_code == 429
    assert "Too many sign-in attempts" in right.json()["detail"]
    assert not AuthToken.objects.exists()


def test_the_panel_and_the_api_share_one_budget_per_username(coworker, behind_nginx):
    behind_nginx.LOGIN_RATE_LIMIT = "3/m"
    for n in range(3):
        Client().post("/accounts/login/", {"username": "cora", "password": "guess"}, **_from(n))

    right = APIClient().post(
        "/api/auth/token/", {"username": "cora", "password": PASSWORD}, format="json", **_from(99)
    )

    assert right.status_code == 429


def test_a_username_typed_in_fullwidth_or_capitals_spends_the_same_budget(coworker, behind_nginx):
    behind_nginx.LOGIN_RATE_LIMIT = "3/m"
    for n, name in enumerate(["ｃｏｒａ", "CORA", "Cora"]):
        Client().post("/accounts/login/", {"username": name, "password": "guess"}, **_from(n))

    right = Client().post(
        "/accounts/login/", {"username": "cora", "password": PASSWORD}, **_from(99)
    )

    assert right.status_code == 429


def test_bad_logins_under_ten_names_lock_no_one_else_out(coworker, behind_nginx):
    for n in range(10):
        guess = {"username": f"guess-{n}", "password": "guess"}
        Client().post("/accounts/login/", guess, **_from(n))

    signed_in = Client().post(
        "/accounts/login/", {"username": "cora", "password": PASSWORD}, **_from(99)
    )

    assert signed_in.status_code == 302
