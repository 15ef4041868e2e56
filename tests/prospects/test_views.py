import pytest

from engines.services import engine_build_register
from prospects.models import Draft
from prospects.selectors import pipeline_settings
from tests.support.drafting import ingest
from tests.support.factories import make_inbound
from tests.support.panel import HTMX, csrf_post, logged_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/threads/", "/settings/"])
def test_pages_require_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_dashboard_shows_counts_and_active_engine(canon, coworker):
    ingest(make_inbound("Hi"))
    page = logged_in(coworker).get("/").content.decode()
    assert "Active engine" in page
    assert "template" in page
    assert "Opener: welcome" in page


def test_thread_search_returns_the_partial_for_htmx(canon, coworker):
    ingest(make_inbound("Hi", thread="anna.k"))
    ingest(make_inbound("Hi", thread="ben.t"))
    response = logged_in(coworker).get("/threads/", {"q": "anna"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert "anna.k" in html
    assert "ben.t" not in html


def test_thread_list_paginates(canon, coworker):
    for n in range(30):
        ingest(make_inbound("Hi", thread=f"t-{n:02d}"))
    client = logged_in(coworker)
    assert "Page 1 of 2" in client.get("/threads/").content.decode()
    assert "Page 2 of 2" in client.get("/threads/", {"page": 2}).content.decode()


def test_approve_needs_the_csrf_token(canon, coworker):
    draft = ingest(make_inbound("Hi")).draft
    client = logged_in(coworker, csrf_checks=True)
    assert client.post(f"/drafts/{draft.id}/approve_hx/", **HTMX).status_code == 403
    draft.refresh_from_db()
    assert draft.status == Draft.Status.HELD


def test_coworker_approves_a_held_draft_from_the_thread_page(canon, coworker, bridge):
    draft = ingest(make_inbound("Hi")).draft
    client = logged_in(coworker, csrf_checks=True)
    response = csrf_post(client, f"/drafts/{draft.id}/approve_hx/")
    assert response.status_code == 200
    assert f'id="draft-{draft.id}"' in response.content.decode()
    draft.refresh_from_db()
    assert draft.status in {Draft.Status.APPROVED, Draft.Status.SENT}


def test_second_reviewer_gets_a_clear_message(canon, coworker, make_user):
    from core.roles import Role

    other = make_user("colin", Role.COWORKER)
    draft = ingest(make_inbound("Hi")).draft
    csrf_post(logged_in(coworker, csrf_checks=True), f"/drafts/{draft.id}/reject_hx/")
    response = csrf_post(logged_in(other, csrf_checks=True), f"/drafts/{draft.id}/approve_hx/")
    assert "already acted on this draft" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Draft.Status.REJECTED


def test_an_operator_cannot_review(canon, operator):
    draft = ingest(make_inbound("Hi")).draft
    assert logged_in(operator).post(f"/drafts/{draft.id}/approve_hx/", **HTMX).status_code == 403


def test_engine_switch_asks_for_confirmation_first(admin_user):
    engine_build_register(
        engine_id="endpoint-gemma3-270m_2026-11-23.1",
        endpoint_url="http://127.0.0.1:9/v1",
        served_model="voice",
    )
    client = logged_in(admin_user, csrf_checks=True)
    data = {"draft_engine": "endpoint-gemma3-270m_2026-11-23.1"}
    response = csrf_post(client, "/settings/engine_hx/", data)
    assert "Confirm switch" in response.content.decode()
    assert pipeline_settings().draft_engine == "template"
    response = csrf_post(client, "/settings/engine_hx/", dict(data, confirm="yes"))
    assert response.headers["HX-Refresh"] == "true"
    assert pipeline_settings().draft_engine == "endpoint-gemma3-270m_2026-11-23.1"


def test_engine_switch_to_an_unknown_build_shows_the_error(admin_user):
    client = logged_in(admin_user, csrf_checks=True)
    response = csrf_post(
        client, "/settings/engine_hx/", {"draft_engine": "do-gpu-x_1", "confirm": "yes"}
    )
    assert response.status_code == 400
    assert 'id="id_draft_engine_error">Select a valid choice.' in response.content.decode()


def test_only_admins_switch_engines(coworker):
    response = logged_in(coworker).post(
        "/settings/engine_hx/", {"draft_engine": "template", "confirm": "yes"}, **HTMX
    )
    assert response.status_code == 403
