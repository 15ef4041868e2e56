"""Review actions: who wins, what is recorded, what is refused."""

import threading
from datetime import timedelta
from functools import partial

import pytest
import time_machine
from django.core.exceptions import ValidationError

from core.clock import now
from prospects.models import Correction, Draft
from prospects.review.services import (
    DraftConflict,
    draft_approve,
    draft_correct,
    draft_reject,
    draft_skip,
    review_claim,
)
from prospects.selectors import review_queue
from tests.support.concurrency import run_concurrently
from tests.support.drafting import ingest
from tests.support.factories import make_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(canon):
    """A draft held for review (template engine, review mode)."""

    def make(body: str = "Hi there, nice to meet you") -> Draft:
        draft = ingest(make_inbound(body)).draft
        assert draft.status == Draft.Status.HELD
        return draft

    return make


def test_edit_and_approve_records_a_correction_bound_to_the_draft(
    held, coworker, bridge, django_capture_on_commit_callbacks
):
    draft = held("Hello! Are you free on Friday?")
    original = draft.body

    with django_capture_on_commit_callbacks(execute=True):
        draft_correct(
            draft_id=draft.id, user=coworker, body="Hi! Friday works.", reason_tags=["tone"]
        )

    assert Draft.objects.get(id=draft.id).status == Draft.Status.SENT
    correction = Correction.objects.get(draft=draft)
    assert correction.kind == Correction.Kind.EDITED
    assert (correction.original_text, correction.corrected_text) == (original, "Hi! Friday works.")
    assert correction.reason_tags == ["tone"]
    assert correction.author == coworker
    assert correction.engine_id == draft.engine_id == "template"
    assert correction.workflow_version_id == draft.workflow_version_id
    assert correction.template_key == draft.decision.template_key
    assert correction.inbound_text == "Hello! Are you free on Friday?"
    assert 0 < correction.edit_distance <= 1
    # What is dispatched is the corrected text.
    assert [sent["body"] for sent in bridge.received] == ["Hi! Friday works."]


def test_reject_records_a_correction_with_no_text(held, coworker):
    draft = held()
    draft_reject(draft_id=draft.id, user=coworker, reason_tags=["off_topic", "tone", "tone"])
    correction = Correction.objects.get(draft=draft)
    assert correction.kind == Correction.Kind.REJECTED
    assert correction.corrected_text is None
    assert correction.edit_distance is None
    assert correction.reason_tags == ["off_topic", "tone"]
    assert Draft.objects.get(id=draft.id).status == Draft.Status.REJECTED


def test_plain_approval_records_no_correction(held, coworker):
    draft = held()
    draft_approve(draft_id=draft.id, user=coworker)
    assert not Correction.objects.exists()
    # An unchanged "edit" is an approval too, not a correction.
    other = held()
    draft_correct(draft_id=other.id, user=coworker, body=f"  {other.body}  ")
    assert not Correction.objects.exists()


@pytest.mark.parametrize("body", ["", "   \n"])
def test_an_empty_correction_is_refused_and_the_draft_stays_held(held, coworker, body):
    draft = held()
    with pytest.raises(ValidationError) as refused:
        draft_correct(draft_id=draft.id, user=coworker, body=body)
    assert "body" in refused.value.message_dict
    assert Draft.objects.get(id=draft.id).status == Draft.Status.HELD


def test_unknown_reason_tags_are_refused(held, coworker):
    draft = held()
    with pytest.raises(ValidationError) as refused:
        draft_reject(draft_id=draft.id, user=coworker, reason_tags=["tone", "vibes"])
    assert "vibes" in refused.value.message_dict["reason_tags"][0]
    assert not Correction.objects.exists()


def test_a_reviewed_draft_cannot_be_reviewed_again(held, coworker, make_user):
    draft = held()
    draft_reject(draft_id=draft.id, user=coworker)
    other = make_user("olga")
    for action in (
        lambda: draft_approve(draft_id=draft.id, user=other),
        lambda: draft_correct(draft_id=draft.id, user=other, body="New text"),
        lambda: draft_reject(draft_id=draft.id, user=other),
    ):
        with pytest.raises(DraftConflict, match="already rejected"):
            action()
    assert Correction.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_coworkers_acting_at_once_never_both_win(held, coworker, make_user):
    """Real threads on real PostgreSQL: exactly one correction, one history action."""
    other = make_user("olga")
    for _ in range(5):
        draft_id = held().id
        actions = iter(
            [
                partial(draft_correct, draft_id=draft_id, user=coworker, body="Mine"),
                partial(draft_reject, draft_id=draft_id, user=other, reason_tags=["tone"]),
                partial(draft_approve, draft_id=draft_id, user=other),
                partial(draft_correct, draft_id=draft_id, user=other, body="Theirs"),
            ]
        )
        lock = threading.Lock()

        def act(actions=actions, lock=lock):
            with lock:
                action = next(actions)
            return action()

        results, errors = run_concurrently(act, 4)
        assert len(results) == 1
        assert len(errors) == 3
        assert all(isinstance(e, DraftConflict) for e in errors)
        assert Correction.objects.filter(draft_id=draft_id).count() <= 1
        reasons = list(
            Draft.history.filter(id=draft_id)
            .exclude(history_change_reason=None)
            .values_list("history_change_reason", flat=True)
        )
        assert len([r for r in reasons if r in ("approve", "correct", "reject")]) == 1


def test_a_claimed_draft_is_taken_until_the_claim_lapses(held, coworker, make_user, settings):
    other = make_user("olga")
    draft = held()
    assert review_claim(draft_id=draft.id, user=coworker)
    assert not review_claim(draft_id=draft.id, user=other)
    assert draft not in review_queue(other)
    assert draft in review_queue(coworker)
    with pytest.raises(DraftConflict, match="cora is reviewing this draft"):
        draft_approve(draft_id=draft.id, user=other)
    with time_machine.travel(now() + timedelta(seconds=settings.REVIEW_CLAIM_SECONDS + 1)):
        assert draft in review_queue(other)
        draft_approve(draft_id=draft.id, user=other)
    assert Draft.objects.get(id=draft.id).reviewed_by == other


def test_a_correction_of_a_draft_someone_else_has_is_refused_before_the_gate_reads_it(
    held, coworker, make_user
):
    draft = held()
    assert review_claim(draft_id=draft.id, user=coworker)
    # Read by the gate, this text would be refused for its phone number instead.
    with pytest.raises(DraftConflict, match="cora is reviewing this draft"):
        draft_correct(draft_id=draft.id, user=make_user("olga"), body="Call 0207 946 0958")


def test_skip_hands_the_draft_back_and_is_in_its_history(held, coworker, make_user):
    draft = held()
    review_claim(draft_id=draft.id, user=coworker)
    assert draft_skip(draft_id=draft.id, user=coworker) is not None
    assert review_claim(draft_id=draft.id, user=make_user("olga"))
    assert Draft.history.filter(id=draft.id, history_change_reason="skip").count() == 1


def test_every_review_action_is_in_the_drafts_history(held, coworker):
    drafts = [held(), held(), held()]
    draft_approve(draft_id=drafts[0].id, user=coworker)
    draft_correct(draft_id=drafts[1].id, user=coworker, body="Better")
    draft_reject(draft_id=drafts[2].id, user=coworker)
    for draft, reason in zip(drafts, ["approve", "correct", "reject"], strict=True):
        row = Draft.history.filter(id=draft.id, history_change_reason=reason).get()
        assert row.history_user == coworker


def test_a_draft_the_bridge_refused_can_be_approved_again_to_resend(
    held, coworker, bridge, django_capture_on_commit_callbacks
):
    draft = held()
    bridge.fail_with = 503
    with django_capture_on_commit_callbacks(execute=True):
        draft_approve(draft_id=draft.id, user=coworker)
    assert Draft.objects.get(id=draft.id).hold_reason == "bridge_error"
    bridge.fail_with = None
    with django_capture_on_commit_callbacks(execute=True):
        draft_approve(draft_id=draft.id, user=coworker)
    assert Draft.objects.get(id=draft.id).status == Draft.Status.SENT
    # ... but it is not awaiting review, so it cannot be corrected any more.
    assert draft not in review_queue(coworker)


def test_the_queue_is_oldest_first_and_leaves_out_reviewed_drafts(held, coworker):
    first, second, third = held(), held(), held()
    draft_approve(draft_id=second.id, user=coworker)
    assert list(review_queue(coworker)) == [first, third]


def test_a_draft_remembers_why_it_was_held_after_review(held, coworker):
    draft = held()
    draft_approve(draft_id=draft.id, user=coworker)
    draft.refresh_from_db()
    assert draft.hold_reason == ""
    assert draft.drafted_hold_reason == "review_mode"
