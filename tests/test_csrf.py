"""CSRF is enforced on every POST the panel and the API take with a session cookie.

The walk covers every URL the resolver knows (but Django's admin): a POST without the
token, from a signed-in user who may use the endpoint, is refused as a CSRF failure, and
the same POST with the token is not. htmx sends the token from the page's header.
"""

import pytest
from django.test import Client
from rest_framework.authentication import SessionAuthentication

from tests.support.drafting import ingest
from tests.support.factories import make_inbound
from tests.support.panel import HTMX, logged_in
from tests.support.urls import routes

pytestmark = pytest.mark.django_db

# Endpoints that no cookie can authenticate, so that a forged cross-site POST carries no
# credentials: they take them in the body or in the Authorization header.
NO_SESSION = {
    "api/auth/token/": "exchanges a username and password for a token",
    "api/auth/logout/": "knox: the token it revokes, in the Authorization header",
    "api/auth/logout-all/": "knox: a token of the user, in the Authorization header",
    "api/training-runs/<uuid:pk>/job/": "the training droplet's run token",
    "api/training-runs/<uuid:pk>/report/": "the training droplet's run token",
    "api/gpu/instances/<uuid:pk>/credentials/": "the serving droplet's one-time token",
    "^api/": "any other path under /api/: a 404 to anyone, nothing written",
}

ALL_ROUTES = list(routes())


def _csrf_refused(response) -> bool:
    """Django's CSRF view and DRF's session authentication both answer 403 and say so
    (DRF in the response's data, whichever renderer writes the body)."""
    said = response.content + str(getattr(response, "data", "")).encode()
    return response.status_code == 403 and b"CSRF" in said


@pytest.fixture
def draft(canon):
    return ingest(make_inbound("Hi there")).draft


def test_the_walk_knows_every_exemption():
    known = {route.route for route in ALL_ROUTES}
    assert set(NO_SESSION) <= known, set(NO_SESSION) - known


@pytest.mark.parametrize("route", ALL_ROUTES, ids=lambda route: route.route or "/")
def test_a_post_without_the_token_is_refused(admin_user, route):
    """The admin may use every endpoint the roles gate, so only CSRF stands in the way."""
    client = logged_in(admin_user, csrf_checks=True)
    if route.route in NO_SESSION:
        # No cookie signs such a request in, so a forged one carries no credentials.
        cookie = [
            a for a in route.api_view.authentication_classes if issubclass(a, SessionAuthentication)
        ]
        assert not cookie, NO_SESSION[route.route]
        return
    assert _csrf_refused(client.post(route.example, {}, **HTMX)), route.example

    client.get("/")  # sets the cookie, as the panel's pages do
    token = client.cookies["csrftoken"].value
    response = client.post(route.example, {}, HTTP_X_CSRFTOKEN=token, **HTMX)
    assert not _csrf_refused(response), (route.example, response.content[:300])


def test_an_anonymous_post_is_refused_too():
    """The login form is no exception: a forged login would sign a victim in as someone."""
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {})
    assert _csrf_refused(response)


def test_the_page_hands_htmx_the_token_and_it_is_accepted(admin_user, draft):
    client = logged_in(admin_user, csrf_checks=True)
    page = client.get("/").content.decode()
    token = client.cookies["csrftoken"].value
    assert 'hx-headers=\'{"x-csrftoken": "' in page
    response = client.post(f"/review/{draft.id}/approve/", {}, HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.reviewed_at is not None
