import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from builder.models import Snippet
from builder.selectors import canon_text
from builder.services import canon_set
from engines.holds import HoldReason
from engines.services import engine_build_register
from prospects.drafting.runner import live_draft_run
from prospects.engine_switch import draft_engine_set
from prospects.inbound.ingest import inbound_ingest
from prospects.models import Decision, Draft, DraftJobItem, InboundMessage, Mode, WithoutWorkflow
from prospects.review.services import DraftConflict, draft_approve, draft_reject
from prospects.selectors import pipeline_settings
from tests.support.concurrency import run_concurrently
from tests.support.drafting import ingest
from tests.support.factories import GEMMA, make_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def auto_send_opener(canon):
    row = pipeline_settings()
    row.auto_send_keys = ["opener.welcome"]
    row.save()


def test_default_mode_holds_the_template_draft_for_review(canon):
    result = ingest(make_inbound("Hi, I saw your profile"))
    assert result.created
    decision = result.decision
    assert (decision.move, decision.is_prospect, decision.template_key) == (
        "opener",
        True,
        "opener.welcome",
    )
    assert decision.mode == Mode.REVIEW
    assert decision.engine_id == "template"
    draft = result.draft
    assert draft.status == Draft.Status.HELD
    assert draft.hold_reason == HoldReason.REVIEW_MODE
    assert draft.body == canon_text("opener.welcome")
    assert draft.engine_id == "template"


def test_auto_send_key_dispatches_to_the_bridge_after_commit(
    auto_send_opener, bridge, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = ingest(make_inbound("Hello!"))
    draft = Draft.objects.get(id=result.draft.id)
    assert draft.status == Draft.Status.SENT
    assert draft.sent_at is not None
    assert [payload["draft_id"] for payload in bridge.received] == [str(draft.id)]
    assert bridge.received[0]["idempotency_key"] == str(draft.id)


def test_auto_send_without_a_bridge_holds_with_no_bridge(auto_send_opener, settings):
    settings.BRIDGE_WEBHOOK_URL = ""
    draft = ingest(make_inbound("Hello!")).draft
    assert (draft.status, draft.hold_reason) == (Draft.Status.HELD, HoldReason.NO_BRIDGE)


def test_bridge_error_holds_the_draft_with_its_reason(
    auto_send_opener, bridge, django_capture_on_commit_callbacks
):
    bridge.fail_with = 500
    with django_capture_on_commit_callbacks(execute=True):
        result = ingest(make_inbound("Hello!"))
    draft = Draft.objects.get(id=result.draft.id)
    assert (draft.status, draft.hold_reason) == (Draft.Status.HELD, HoldReason.BRIDGE_ERROR)
    assert "500" in draft.hold_detail


def test_reingest_same_external_id_makes_no_second_decision_or_send(
    auto_send_opener, bridge, django_capture_on_commit_callbacks
):
    inbound = make_inbound("Hello!")
    with django_capture_on_commit_callbacks(execute=True):
        first = ingest(inbound)
        second = ingest(inbound)
    assert not second.created
    assert second.decision.id == first.decision.id
    assert Decision.objects.count() == 1
    assert Draft.objects.count() == 1
    assert len(bridge.received) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_ingest_of_one_external_id_records_one_decision(canon):
    inbound = make_inbound("Hello!")
    results, errors = run_concurrently(lambda: inbound_ingest(inbound=inbound), 4)
    assert errors == []
    assert sum(result.created for result in results) == 1
    assert InboundMessage.objects.count() == Decision.objects.count() == 1


def test_unknown_template_key_holds_with_its_reason(canon):
    Snippet.objects.filter(kind="canon", key="opener.welcome").delete()
    draft = ingest(make_inbound("Hi")).draft
    assert draft.hold_reason == HoldReason.UNKNOWN_TEMPLATE_KEY
    assert draft.body == ""


def test_empty_canon_holds_with_its_reason(auto_send_opener, bridge):
    canon_set(template_key="opener.welcome", text="")
    draft = ingest(make_inbound("Hi")).draft
    assert (draft.status, draft.hold_reason) == (Draft.Status.HELD, HoldReason.EMPTY_CANON)
    assert bridge.received == []


def test_canon_that_fails_the_gate_is_held_with_the_rule_names(auto_send_opener, bridge):
    canon_set(template_key="opener.welcome", text="Hi! It's $300, call 555-123-4567.")
    draft = ingest(make_inbound("Hi")).draft
    assert draft.hold_reason == HoldReason.GATE_FAILED
    assert draft.gate_failed == ["price", "phone"]
    assert bridge.received == []


def test_gate2_forces_hold_even_for_an_auto_send_key(canon, bridge):
    row = pipeline_settings()
    row.auto_send_keys = ["escalate.handoff"]
    row.save()
    # A business opportunity is escalate: held for her, whatever the settings say.
    result = ingest(make_inbound("Hi, I'm a photographer, would you model for a paid shoot?"))
    assert result.decision.move == "escalate"
    assert result.decision.gate2_forced_hold
    assert result.draft.hold_reason == HoldReason.GATE2
    assert "human_only_move" in result.draft.hold_detail


def test_spam_is_recorded_without_a_draft(canon):
    result = ingest(make_inbound("crypto! click here"))
    assert result.decision.move == "spam"
    assert not result.decision.is_prospect
    assert result.draft is None
    assert result.decision.thread.state == "closed"


def test_a_live_draft_waits_queued_for_a_model_engine_that_is_not_ready(
    published_workflow, admin_user, bridge
):
    live = published_workflow()
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    result = ingest(make_inbound("Hi"))
    assert result.decision.workflow_version == live
    assert result.draft.status == Draft.Status.QUEUED
    assert result.draft.job_item.status == DraftJobItem.Status.WAITING
    assert bridge.received == []


def test_past_the_wait_limit_a_live_draft_is_held_engine_unavailable_never_sent(
    published_workflow, admin_user, bridge, clock
):
    published_workflow()
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    draft = ingest(make_inbound("Hi")).draft
    clock.shift(settings.LIVE_DRAFT_MAX_WAIT_SECONDS + 1)
    draft = live_draft_run(draft)
    assert (draft.status, draft.hold_reason) == (Draft.Status.HELD, HoldReason.ENGINE_UNAVAILABLE)
    assert (draft.engine_id, draft.body, draft.workflow_version) == (GEMMA, "", None)
    assert draft.job_item.status == DraftJobItem.Status.HELD
    assert bridge.received == []


def test_past_the_wait_limit_a_live_draft_can_fall_back_to_the_template_engine(
    published_workflow, admin_user, clock
):
    published_workflow()
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    row = pipeline_settings()
    row.engine_wait_fallback = WithoutWorkflow.TEMPLATE
    row.save()
    draft = ingest(make_inbound("Hi")).draft
    clock.shift(settings.LIVE_DRAFT_MAX_WAIT_SECONDS + 1)
    draft = live_draft_run(draft)
    assert (draft.engine_id, draft.hold_reason) == ("template", HoldReason.REVIEW_MODE)
    assert draft.body == canon_text("opener.welcome")


def test_a_model_engine_with_no_matching_workflow_holds_with_no_workflow(
    canon, gemma_build, admin_user
):
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    draft = ingest(make_inbound("Hi")).draft
    assert draft.hold_reason == HoldReason.NO_WORKFLOW
    assert "opener.welcome" in draft.hold_detail


def test_no_workflow_can_fall_back_to_the_template_engine(canon, gemma_build, admin_user):
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    row = pipeline_settings()
    row.without_workflow = WithoutWorkflow.TEMPLATE
    row.save()
    draft = ingest(make_inbound("Hi")).draft
    assert (draft.engine_id, draft.hold_reason) == ("template", HoldReason.REVIEW_MODE)
    assert draft.body == canon_text("opener.welcome")


def test_the_template_engine_credits_no_workflow_it_did_not_run(published_workflow):
    live = published_workflow()
    result = ingest(make_inbound("Hi"))
    assert result.decision.workflow_version == live
    assert result.draft.workflow_version is None
    assert result.draft.body == canon_text("opener.welcome")


def test_approving_a_held_draft_sends_it_once(
    canon, coworker, bridge, django_capture_on_commit_callbacks
):
    draft = ingest(make_inbound("Hi")).draft
    with django_capture_on_commit_callbacks(execute=True):
        draft_approve(draft_id=draft.id, user=coworker)
    draft.refresh_from_db()
    assert draft.status == Draft.Status.SENT
    assert draft.reviewed_by == coworker
    with pytest.raises(DraftConflict):
        draft_approve(draft_id=draft.id, user=coworker)
    assert len(bridge.received) == 1
    reasons = list(draft.history.values_list("history_change_reason", flat=True))
    assert reasons[:2] == ["sent", "approve"]


def test_rejecting_a_held_draft(canon, coworker):
    draft = ingest(make_inbound("Hi")).draft
    draft = draft_reject(draft_id=draft.id, user=coworker)
    assert draft.status == Draft.Status.REJECTED
    with pytest.raises(DraftConflict):
        draft_approve(draft_id=draft.id, user=coworker)


def test_engine_flip_validates_and_keeps_history(admin_user):
    with pytest.raises(ValidationError) as malformed:
        draft_engine_set(engine_id="gpu!", user=admin_user)
    assert "draft_engine" in malformed.value.message_dict
    with pytest.raises(ValidationError, match="registry"):
        draft_engine_set(engine_id="do-gpu-mistral-nemo-12b_2026-01-01.1", user=admin_user)
    engine_build_register(engine_id="do-gpu-mistral-nemo-12b_2026-01-01.1")
    row = draft_engine_set(engine_id="do-gpu-mistral-nemo-12b_2026-01-01.1", user=admin_user)
    latest = row.history.first()
    assert (latest.draft_engine, latest.history_user) == (
        "do-gpu-mistral-nemo-12b_2026-01-01.1",
        admin_user,
    )
