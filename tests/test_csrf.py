"""CSRF is enforced on every panel POST; htmx sends the token from the page's header."""

import pytest

from tests.conftest import ingest, make_inbound
from tests.prospects.test_views import HTMX, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(canon):
    return ingest(make_inbound("Hi there")).draft


@pytest.fixture
def post_urls(draft, experiment):
    return [
        "/settings/engine_hx/",
        "/settings/classifier_hx/",
        f"/review/{draft.id}/approve/",
        f"/review/{draft.id}/move/",
        f"/drafts/{draft.id}/approve_hx/",
        "/jobs/new/",
        f"/experiments/{experiment.id}/pause/",
        "/gpu/action_hx/",
        "/snippets/new/",
        f"/workflows/{experiment.arms.first().workflow_version.workflow_id}/versions/1/preview/run/",
    ]


def test_a_post_without_the_token_is_refused_everywhere(admin_user, post_urls):
    client = logged_in(admin_user, csrf_checks=True)
    for url in post_urls:
        assert client.post(url, {}, **HTMX).status_code == 403, url


def test_the_page_hands_htmx_the_token_and_it_is_accepted(admin_user, draft):
    client = logged_in(admin_user, csrf_checks=True)
    page = client.get("/").content.decode()
    token = client.cookies["csrftoken"].value
    assert 'hx-headers=\'{"x-csrftoken": "' in page
    response = client.post(f"/review/{draft.id}/approve/", {}, HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.reviewed_at is not None
