"""A thread that tripped a safety rule stays person-only until an admin clears it; safety
and person-only holds need an override with a reason; the send mode is read when a
draft is disposed of, not when its message was decided."""

import pytest
from django.core.exceptions import ValidationError

from engines.holds import HoldReason
from prospects.deciding.decision_gate import Gate2Rule
from prospects.deciding.safety_memory import open_safety_cues, safety_memory_clear
from prospects.drafting.dispatch import draft_dispatch
from prospects.jobs.services import job_create
from prospects.models import Decision, Draft, SafetyCue
from prospects.review.services import draft_approve, draft_correct
from prospects.selectors import pipeline_settings
from tests.support.drafting import ingest
from tests.support.factories import make_inbound

pytestmark = pytest.mark.django_db

UNSAFE = "btw I'm 16, is that ok?"


@pytest.fixture
def auto_send(canon):
    row = pipeline_settings()
    row.default_mode = "auto_send"
    row.save()
    return row


def failed_rules(draft: Draft) -> set[str]:
    return {r["rule"] for r in draft.decision.gate2_results if not r["passed"]}


def test_a_safety_cue_is_remembered_and_holds_every_later_reply(auto_send, bridge):
    tripped = ingest(make_inbound(UNSAFE, thread="t-memory"))
    later = ingest(make_inbound("So are you free Friday?", thread="t-memory")).draft

    cue = SafetyCue.objects.get()
    assert (cue.category, cue.message_id) == ("minor", tripped.message.id)
    assert tripped.draft.hold_reason == HoldReason.GATE2
    assert (later.status, later.hold_reason) == (Draft.Status.HELD, HoldReason.GATE2)
    assert failed_rules(later) == {Gate2Rule.SAFETY_MEMORY}
    assert "minor: 'I'm 16'" in later.hold_detail
    assert bridge.received == []


def test_a_draft_decided_before_the_cue_is_held_when_it_is_drafted_after(canon, coworker):
    from prospects.drafting.runner import live_draft_run
    from prospects.inbound.ingest import inbound_ingest

    first = inbound_ingest(inbound=make_inbound("Hi there", thread="t-race"))
    ingest(make_inbound(UNSAFE, thread="t-race"))

    drafted = live_draft_run(first.draft)

    assert drafted.hold_reason == HoldReason.GATE2
    assert "safety_memory" in drafted.hold_detail


def test_clearing_needs_a_reason_and_is_recorded_with_history(auto_send, admin_user, bridge):
    ingest(make_inbound(UNSAFE, thread="t-clear"))
    thread_id = SafetyCue.objects.get().thread_id

    with pytest.raises(ValidationError) as refused:
        safety_memory_clear(thread_id=thread_id, user=admin_user, reason="  ")
    cleared = safety_memory_clear(
        thread_id=thread_id, user=admin_user, reason="Checked the ID: the sender is 26."
    )
    after = ingest(make_inbound("Friday then?", thread="t-clear")).draft

    assert "reason" in refused.value.message_dict
    assert cleared == 1
    assert open_safety_cues(thread_id) == []
    cue = SafetyCue.objects.get()
    assert (cue.cleared_by, cue.clear_reason) == (admin_user, "Checked the ID: the sender is 26.")
    assert cue.history.filter(history_change_reason__startswith="cleared:").exists()
    assert after.status == Draft.Status.APPROVED  # on its way: dispatch runs after the commit


def test_only_an_admin_clears_and_the_api_names_a_missing_reason(
    canon, api_for, admin_user, coworker
):
    ingest(make_inbound(UNSAFE, thread="t-api"))
    thread_id = SafetyCue.objects.get().thread_id
    url = f"/api/threads/{thread_id}/safety-clear/"

    forbidden = api_for(coworker).post(url, {"reason": "fine"}, format="json")
    missing = api_for(admin_user).post(url, {}, format="json")
    done = api_for(admin_user).post(url, {"reason": "Spoke to the sender."}, format="json")
    thread = api_for(coworker).get(f"/api/threads/{thread_id}/").json()

    assert forbidden.status_code == 403
    assert (missing.status_code, list(missing.json())) == (400, ["reason"])
    assert (done.status_code, done.json()) == (200, {"cleared": 1})
    assert thread["person_only"] is False
    assert thread["safety_cues"][0]["clear_reason"] == "Spoke to the sender."


def test_a_safety_hold_needs_an_override_and_a_reason(canon, coworker, api_for):
    draft = ingest(make_inbound(UNSAFE)).draft
    api = api_for(coworker)

    plain = api.post(f"/api/drafts/{draft.id}/approve/", {}, format="json")
    no_reason = api.post(f"/api/drafts/{draft.id}/approve/", {"override": True}, format="json")
    approved = api.post(
        f"/api/drafts/{draft.id}/approve/",
        {"override": True, "reason": "A typo: she wrote 61, confirmed by phone."},
        format="json",
    )

    assert (plain.status_code, list(plain.json())) == (400, ["override"])
    assert (no_reason.status_code, list(no_reason.json())) == (400, ["reason"])
    assert approved.status_code == 200
    draft.refresh_from_db()
    assert draft.overridden_rules == [Gate2Rule.SAFETY_TERMS]
    assert draft.override_reason == "A typo: she wrote 61, confirmed by phone."
    assert draft.history.filter(
        history_change_reason="approve:override safety_terms", override_reason__startswith="A typo"
    ).exists()


def test_a_person_only_move_needs_the_same_override(canon, coworker):
    draft = ingest(make_inbound("I need to speak to your manager right now")).draft
    if Gate2Rule.HUMAN_ONLY_MOVE not in failed_rules(draft):
        Decision.objects.filter(id=draft.decision_id).update(
            gate2_results=[
                {"rule": "human_only_move", "passed": False, "detail": "move 'escalate'"}
            ]
        )
    with pytest.raises(ValidationError) as refused:
        draft_correct(draft_id=draft.id, user=coworker, body="I'll call you back shortly.")
    corrected = draft_correct(
        draft_id=draft.id,
        user=coworker,
        body="I'll call you back shortly.",
        override=True,
        reason="Owner asked me to answer this one.",
    )

    assert "override" in refused.value.message_dict
    assert corrected.overridden_rules == [Gate2Rule.HUMAN_ONLY_MOVE]


def test_a_correction_of_invisible_marks_alone_is_empty(canon, coworker):
    draft = ingest(make_inbound("Hi")).draft
    with pytest.raises(ValidationError) as refused:
        draft_correct(draft_id=draft.id, user=coworker, body="\u034f\u200b\u17b4\u180b")
    assert "body" in refused.value.message_dict


def test_an_approved_reply_is_held_at_send_time_when_the_thread_tripped_since(
    canon, coworker, bridge
):
    draft = ingest(make_inbound("Hi", thread="t-send")).draft
    draft_approve(draft_id=draft.id, user=coworker)
    ingest(make_inbound(UNSAFE, thread="t-send"))

    sent = draft_dispatch(draft_id=draft.id)

    assert (sent.status, sent.hold_reason) == (Draft.Status.HELD, HoldReason.GATE2)
    assert "safety_memory" in sent.hold_detail
    assert bridge.received == []


def test_turning_auto_send_off_holds_a_draft_decided_while_it_was_on(
    auto_send, operator, bridge, django_capture_on_commit_callbacks
):
    from prospects.drafting.runner import live_draft_run
    from prospects.inbound.ingest import inbound_ingest

    queued = inbound_ingest(inbound=make_inbound("Hi", thread="t-mode"))
    assert queued.decision.mode == "auto_send"
    auto_send.default_mode = "review"
    auto_send.save()

    live = live_draft_run(queued.draft)
    with django_capture_on_commit_callbacks(execute=True):
        job_create(user=operator, thread_ids=[queued.decision.thread_id], engine_id="template")
    redraft = Draft.objects.exclude(id=live.id).get()

    assert (live.status, live.hold_reason) == (Draft.Status.HELD, HoldReason.REVIEW_MODE)
    assert (redraft.status, redraft.hold_reason) == (Draft.Status.HELD, HoldReason.REVIEW_MODE)
    assert bridge.received == []


def test_an_unsure_classifier_holds_the_draft_whatever_the_mode(auto_send, bridge):
    from prospects.drafting.runner import live_draft_run
    from prospects.inbound.ingest import inbound_ingest

    auto_send.uncertain_move_threshold = 0.6
    auto_send.save()
    queued = inbound_ingest(inbound=make_inbound("Hi", thread="t-unsure"))
    Decision.objects.filter(id=queued.decision.id).update(confidence=0.42)

    drafted = live_draft_run(queued.draft)

    assert (drafted.status, drafted.hold_reason) == (Draft.Status.HELD, HoldReason.UNCERTAIN_MOVE)
    assert "42%" in drafted.hold_detail


def test_no_override_sends_a_reply_longer_than_the_gate_reads(canon, coworker):
    from engines.gate import reply_gate

    draft = ingest(make_inbound("Hi")).draft
    Draft.objects.filter(id=draft.id).update(body="Lovely. " * 600)
    with pytest.raises(ValidationError) as refused:
        draft_approve(draft_id=draft.id, user=coworker, override=True, reason="Long on purpose.")
    assert (
        f"no reply is sent past {reply_gate.READ_CHARS:,}" in refused.value.message_dict["body"][0]
    )
