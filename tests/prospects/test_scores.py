"""Review scores per workflow version and engine build, on known counts."""

import pytest

from prospects.models import Draft, Outcome
from prospects.outcomes import outcome_record
from prospects.review.services import draft_approve, draft_correct, draft_reject
from prospects.scores import Scores, draft_scores, scores_for
from tests.support.drafting import ingest
from tests.support.factories import make_inbound
from tests.support.outcomes import sent_reply

pytestmark = pytest.mark.django_db


def test_scores_count_each_outcome_once(canon, coworker):
    drafts = [ingest(make_inbound("Hi there")).draft for _ in range(6)]
    draft_approve(draft_id=drafts[0].id, user=coworker)
    draft_approve(draft_id=drafts[1].id, user=coworker)
    draft_correct(draft_id=drafts[2].id, user=coworker, body=drafts[2].body + " See you!")
    draft_correct(draft_id=drafts[3].id, user=coworker, body="Completely different")
    draft_reject(draft_id=drafts[4].id, user=coworker)
    # drafts[5] is not reviewed yet; one more draft the gate held counts as an engine hold.
    Draft.objects.filter(id=drafts[5].id).update(drafted_hold_reason="gate_failed")

    scores = scores_for("engine_id", "template")

    assert (scores.drafts, scores.reviewed) == (6, 5)
    assert (scores.accepted_unedited, scores.corrected, scores.rejected) == (2, 2, 1)
    assert scores.accepted_rate == pytest.approx(2 / 5)
    assert scores.rejection_rate == pytest.approx(1 / 5)
    assert scores.hold_rate == pytest.approx(1 / 6)
    corrections = [
        d.correction.edit_distance for d in Draft.objects.filter(correction__kind="edited")
    ]
    assert scores.mean_edit_distance == pytest.approx(sum(corrections) / 2)


def test_scores_group_by_workflow_version(canon, coworker, published_workflow, settings):
    version = published_workflow()
    drafts = [ingest(make_inbound("Hi there")).draft for _ in range(2)]
    Draft.objects.filter(id=drafts[0].id).update(workflow_version=version)
    draft_reject(draft_id=drafts[0].id, user=coworker)

    by_version = draft_scores("workflow_version")

    assert by_version[version.id].rejected == 1
    assert by_version[None].drafts == 1


def test_no_drafts_means_no_rates():
    scores = scores_for("engine_id", "vllm-none_v0")
    assert scores == Scores()
    assert scores.accepted_rate is None
    assert scores.hold_rate is None


def test_booking_rate_counts_threads_with_a_sent_reply_that_booked(canon, coworker, bridge):

    booked = sent_reply(coworker, thread="t-1")
    sent_reply(coworker, "Still there?", thread="t-1")  # a second reply, the same thread
    declined = sent_reply(coworker, thread="t-2")
    sent_reply(coworker, thread="t-3")
    ingest(make_inbound(thread="t-4"))  # held, never sent: not in the denominator
    outcome_record(thread=booked.thread, outcome=Outcome.BOOKED, user=coworker, source="api")
    outcome_record(thread=declined.thread, outcome=Outcome.DECLINED, user=coworker, source="api")

    scores = scores_for("engine_id", "template")

    assert (scores.threads_sent, scores.threads_booked) == (3, 1)
    assert scores.booking_rate == pytest.approx(1 / 3)
    assert scores.drafts == 5  # the outcome's two attributions do not count a draft twice
    assert scores.as_json()["booking_rate"] == pytest.approx(1 / 3)


def test_a_booking_before_a_reply_was_sent_is_not_credited(canon, coworker, bridge):

    thread = ingest(make_inbound(thread="t-early")).decision.thread
    outcome_record(thread=thread, outcome=Outcome.BOOKED, user=coworker, source="api")
    sent_reply(coworker, "Later", thread="t-early")

    scores = scores_for("engine_id", "template")
    assert (scores.threads_sent, scores.threads_booked) == (1, 0)
