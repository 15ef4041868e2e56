"""Nothing empty, ungated or past Gate-2's send-time checks is sent, unless a person says so."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from builder.services import canon_set
from core.clock import now
from engines.holds import HoldReason
from prospects.drafting.dispatch import draft_dispatch, drafts_dispatch_stale
from prospects.jobs.services import job_create
from prospects.models import Draft
from prospects.review.services import draft_approve, draft_correct
from tests.support.drafting import ingest
from tests.support.factories import make_inbound

pytestmark = pytest.mark.django_db


def test_approving_an_empty_draft_is_refused_on_body(canon, coworker, api_for):
    draft = ingest(make_inbound("Hi")).draft
    Draft.objects.filter(id=draft.id).update(body="", hold_reason=HoldReason.ENGINE_ERROR)

    with pytest.raises(ValidationError) as refused:
        draft_approve(draft_id=draft.id, user=coworker)
    answer = api_for(coworker).post(f"/api/drafts/{draft.id}/approve/", {}, format="json")

    assert "body" in refused.value.message_dict
    assert answer.status_code == 400
    assert "body" in answer.json()
    assert Draft.objects.get(id=draft.id).status == Draft.Status.HELD


def test_a_gate_failed_draft_is_sent_only_with_an_override_that_is_recorded(
    canon, coworker, api_for, bridge, django_capture_on_commit_callbacks
):
    canon_set(template_key="opener.welcome", text="Hi! It's $300 an hour.")
    draft = ingest(make_inbound("Hi")).draft
    assert draft.hold_reason == HoldReason.GATE_FAILED
    api = api_for(coworker)

    refused = api.post(f"/api/drafts/{draft.id}/approve/", {}, format="json")
    no_reason = api.post(f"/api/drafts/{draft.id}/approve/", {"override": True}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(
            f"/api/drafts/{draft.id}/approve/",
            {"override": True, "reason": "The client asked for the rate in writing."},
            format="json",
        )

    assert refused.status_code == 400
    assert "price" in refused.json()["override"][0]
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()
    assert sent.status_code == 200
    draft.refresh_from_db()
    assert draft.status == Draft.Status.SENT
    assert (draft.overridden_rules, draft.reviewed_by) == (["price"], coworker)
    assert draft.override_reason == "The client asked for the rate in writing."
    assert draft.history.filter(history_change_reason="approve:override price").exists()
    assert len(bridge.received) == 1


def test_a_correction_that_fails_the_gate_needs_the_same_override(canon, coworker):
    draft = ingest(make_inbound("Hi")).draft
    with pytest.raises(ValidationError) as refused:
        draft_correct(draft_id=draft.id, user=coworker, body="Sure, call me on 555-123-4567")
    assert "override" in refused.value.message_dict

    corrected = draft_correct(
        draft_id=draft.id,
        user=coworker,
        body="Sure, call me on 555-123-4567",
        override=True,
        reason="A regular who lost my number.",
    )
    assert corrected.status == Draft.Status.APPROVED
    assert corrected.overridden_rules == ["phone"]
    assert corrected.override_reason == "A regular who lost my number."


def test_send_time_gate2_caps_replies_per_thread_under_the_thread_lock(canon, coworker, bridge):
    drafts = [ingest(make_inbound("Hi again", thread="burst")).draft for _ in range(5)]
    for draft in drafts:
        draft_approve(draft_id=draft.id, user=coworker)

    outcomes = [draft_dispatch(draft_id=draft.id) for draft in drafts]

    sent = [draft for draft in outcomes if draft.status == Draft.Status.SENT]
    held = [draft for draft in outcomes if draft.status == Draft.Status.HELD]
    assert len(sent) == settings.GATE2_MAX_SENDS_PER_DAY
    assert len(bridge.received) == settings.GATE2_MAX_SENDS_PER_DAY
    assert {(draft.hold_reason, "send_rate" in draft.hold_detail) for draft in held} == {
        (HoldReason.GATE2, True)
    }


def test_a_job_never_sends_a_second_reply_to_an_answered_message(
    auto_send_opener, operator, bridge, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = ingest(make_inbound("Hi"))
    with django_capture_on_commit_callbacks(execute=True):
        job_create(user=operator, thread_ids=[first.decision.thread_id], engine_id="template")

    redraft = Draft.objects.exclude(id=first.draft.id).get()
    assert (redraft.status, redraft.hold_reason) == (Draft.Status.HELD, HoldReason.ALREADY_ANSWERED)
    assert len(bridge.received) == 1


def test_the_webhook_query_never_leaks(canon, coworker, bridge, settings):
    settings.BRIDGE_WEBHOOK_URL = bridge.url + "?token=do-not-leak"
    bridge.fail_with = 500
    draft = ingest(make_inbound("Hi")).draft
    draft_approve(draft_id=draft.id, user=coworker)
    held = draft_dispatch(draft_id=draft.id)
    assert held.hold_reason == HoldReason.BRIDGE_ERROR
    assert "do-not-leak" not in held.hold_detail
    assert "500" in held.hold_detail


def test_an_approved_draft_left_unsent_is_dispatched_again_with_its_key(
    canon, coworker, bridge, clock, django_capture_on_commit_callbacks
):
    draft = ingest(make_inbound("Hi")).draft
    draft_approve(draft_id=draft.id, user=coworker)  # its dispatch never ran (a lost enqueue)
    Draft.objects.filter(id=draft.id).update(dispatch_claimed_at=now())
    clock.shift(settings.DISPATCH_STALE_SECONDS + 1)

    with django_capture_on_commit_callbacks(execute=True):
        assert drafts_dispatch_stale() == 1

    draft.refresh_from_db()
    assert draft.status == Draft.Status.SENT
    assert [payload["idempotency_key"] for payload in bridge.received] == [str(draft.id)]
