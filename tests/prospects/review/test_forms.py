"""The review pane's forms: a bad value answers 400 with the pane, the error beside its field
and the coworker's input kept, and writes nothing; good input still acts."""

import re

import pytest
from django.test import Client

from engines.holds import HoldReason
from engines.moves import move_name
from prospects.models import Correction, Draft, MoveLabel
from tests.support.drafting import ingest
from tests.support.factories import PASSWORD, make_inbound
from tests.support.html import field_error
from tests.support.panel import csrf_post, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(canon):
    return ingest(make_inbound("Hi there")).draft


@pytest.fixture
def client(coworker):
    return logged_in(coworker, csrf_checks=True)


def _unreviewed(draft: Draft) -> bool:
    draft.refresh_from_db()
    return draft.status == Draft.Status.HELD and draft.reviewed_at is None


def test_an_empty_correction_is_refused_beside_the_reply(client, draft):
    response = csrf_post(client, f"/review/{draft.id}/correct/", {"body": "   "})
    html = response.content.decode()
    assert response.status_code == 400
    assert "<html" not in html
    assert "cannot be empty" in field_error(html, "correct_body")
    assert 'aria-describedby="correct_body_error"' in html
    assert f'data-draft="{draft.id}"' in html
    assert '<form id="edit-form" class="review-form" ' in html
    assert '<form id="edit-form" class="review-form" hidden' not in html
    assert _unreviewed(draft)
    assert not Correction.objects.exists()


def test_an_unknown_reason_tag_is_refused_and_the_edit_is_kept(client, draft):
    response = csrf_post(
        client,
        f"/review/{draft.id}/correct/",
        {"body": "Hello there, friend", "reason_tags": ["tone", "rude"]},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "rude is not one of the available choices" in field_error(html, "correct_reason_tags")
    assert "\nHello there, friend</textarea>" in html
    assert 'value="tone" aria-invalid="true" id="correct_reason_tags_0" checked>' in html
    assert _unreviewed(draft)
    assert not Correction.objects.exists()


def test_a_correction_failing_the_gate_asks_for_the_override_and_keeps_the_edit(client, draft):
    edit = {"body": "Sure, call me on 555-123-4567", "reason_tags": ["tone"]}
    refused = csrf_post(client, f"/review/{draft.id}/correct/", edit)
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "fails the validation gate (gives a phone number)" in field_error(
        html, "correct_override"
    )
    assert 'name="override"' in html
    assert "\nSure, call me on 555-123-4567</textarea>" in html
    assert _unreviewed(draft)

    no_reason = csrf_post(client, f"/review/{draft.id}/correct/", {**edit, "override": "on"})
    assert no_reason.status_code == 400
    assert "Say in one line why" in field_error(no_reason.content.decode(), "correct_reason")
    sent = csrf_post(
        client,
        f"/review/{draft.id}/correct/",
        {**edit, "override": "on", "reason": "A regular who lost my number."},
    )
    assert sent.status_code == 200
    assert "Corrected and approved" in sent.content.decode()
    draft.refresh_from_db()
    assert (draft.status, draft.overridden_rules) == (Draft.Status.APPROVED, ["phone"])
    assert Correction.objects.get().reason_tags == ["tone"]


def test_approving_a_gate_failed_draft_needs_send_anyway(client, draft):
    Draft.objects.filter(id=draft.id).update(
        body="Call me on 555-123-4567", hold_reason=HoldReason.GATE_FAILED, gate_failed=["phone"]
    )
    refused = csrf_post(client, f"/review/{draft.id}/approve/")
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "fails the validation gate (gives a phone number)" in field_error(
        html, "approve_override"
    )
    assert 'aria-describedby="approve_override_error"' in html
    assert _unreviewed(draft)

    sent = csrf_post(
        client, f"/review/{draft.id}/approve/", {"override": "on", "reason": "Asked to call."}
    )
    assert sent.status_code == 200
    draft.refresh_from_db()
    assert draft.overridden_rules == ["phone"]


def test_a_refused_approval_or_redraft_names_why_by_the_buttons(client, draft):
    Draft.objects.filter(id=draft.id).update(body="")
    empty = csrf_post(client, f"/review/{draft.id}/approve/")
    assert empty.status_code == 400
    assert '<ul class="errorlist nonfield"><li>This draft is empty' in empty.content.decode()

    Draft.objects.filter(id=draft.id).update(body="Hi!")
    again = csrf_post(client, f"/review/{draft.id}/again/")
    assert again.status_code == 400
    assert "Only a held draft with no body can be drafted again." in again.content.decode()
    assert _unreviewed(draft)


def test_rejecting_with_an_unknown_tag_is_refused_beside_the_tags(client, draft):
    refused = csrf_post(client, f"/review/{draft.id}/reject/", {"reason_tags": ["rude"]})
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "rude is not one of the available choices" in field_error(html, "reject_reason_tags")
    assert '<form id="reject-form" class="review-form" hidden' not in html
    assert _unreviewed(draft)
    assert not Correction.objects.exists()

    rejected = csrf_post(client, f"/review/{draft.id}/reject/", {"reason_tags": ["too_long"]})
    assert rejected.status_code == 200
    assert Correction.objects.get(kind=Correction.Kind.REJECTED).reason_tags == ["too_long"]


@pytest.mark.parametrize(
    ("data", "field_id", "message"),
    [
        ({"move": "booking"}, "move_move", "That move is not offered: choose one above."),
        ({}, "move_move", "This field is required."),
        ({"move": "spam", "reason": "x" * 301}, "move_reason", "at most 300 characters"),
    ],
)
def test_a_bad_move_is_refused_beside_its_field(client, draft, data, field_id, message):
    response = csrf_post(client, f"/review/{draft.id}/move/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert message in field_error(html, field_id)
    assert '<form id="move-form" class="review-form" hidden' not in html
    assert not MoveLabel.objects.exists()


def test_a_move_is_recorded_and_the_draft_stays(client, draft):
    response = csrf_post(
        client, f"/review/{draft.id}/move/", {"move": "spam", "reason": "A bulk mailing."}
    )
    assert response.status_code == 200
    assert f'data-draft="{draft.id}"' in response.content.decode()
    label = MoveLabel.objects.get()
    assert (label.move, label.reason) == ("spam", "A bulk mailing.")
    assert _unreviewed(draft)


def test_the_pane_marks_the_decided_move_and_keeps_the_queue_filters(client, draft):
    html = client.get("/review/").content.decode()
    decided = draft.decision.move
    assert re.findall(r'<input type="radio" name="move" value="(\w+)"[^>]* checked>', html) == [
        decided
    ]
    assert f"<strong>{move_name(decided)} (decided)</strong>" in html
    skipped = csrf_post(client, f"/review/{draft.id}/skip/", {"filters": "engine=template"})
    assert 'name="filters" value="engine=template"' in skipped.content.decode()
    # A filter string no form takes (a NUL) is dropped, not an error page.
    dropped = csrf_post(client, f"/review/{draft.id}/skip/", {"filters": "engine=\x00"})
    assert dropped.status_code == 200


def test_refused_on_the_thread_page_the_draft_says_why(client, draft):
    Draft.objects.filter(id=draft.id).update(
        body="Call me on 555-123-4567", hold_reason=HoldReason.GATE_FAILED, gate_failed=["phone"]
    )
    response = csrf_post(client, f"/drafts/{draft.id}/approve_hx/")
    html = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in html
    assert "fails the validation gate (gives a phone number)" in html
    assert "The review queue can do it." in html
    assert _unreviewed(draft)


def test_a_failed_login_says_why_beside_the_form(coworker):
    browser = Client()
    wrong = browser.post("/accounts/login/", {"username": "cora", "password": "guess"})
    html = wrong.content.decode()
    assert '<ul class="errorlist nonfield"><li>Your username and password didn' in html
    assert 'value="cora"' in html
    missing = browser.post("/accounts/login/", {"username": "cora", "password": ""})
    assert "This field is required." in field_error(missing.content.decode(), "id_password")
    signed_in = browser.post("/accounts/login/", {"username": "cora", "password": PASSWORD})
    assert signed_in.status_code == 302
