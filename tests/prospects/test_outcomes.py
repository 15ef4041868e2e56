"""A thread's outcome (issue 33): recorded once per change, attributed to the drafts sent
before it, moving the thread's state; the no-reply sweep records the silent threads."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from builder.taxonomy import ThreadState
from core.clock import now
from prospects.models import Outcome, OutcomeAttribution, Thread, ThreadOutcome
from prospects.outcomes import outcome_record, outcomes_sweep_no_reply
from prospects.tasks import sweep_no_reply
from tests.support.drafting import ingest
from tests.support.factories import make_inbound
from tests.support.outcomes import sent_reply

pytestmark = pytest.mark.django_db

PANEL = ThreadOutcome.Source.PANEL


def test_booked_moves_the_thread_to_booked_and_is_attributed_to_the_sent_draft(
    canon, coworker, bridge
):
    draft = sent_reply(coworker, thread="t-booked")
    draft.refresh_from_db()

    recorded = outcome_record(
        thread=draft.thread, outcome=Outcome.BOOKED, user=coworker, source=PANEL, note="Fri 3pm"
    )

    assert recorded.created
    assert Thread.objects.get(id=draft.thread_id).state == ThreadState.BOOKED
    [attribution] = OutcomeAttribution.objects.filter(outcome=recorded.outcome)
    assert attribution.draft_id == draft.id
    assert attribution.engine_id == draft.engine_id == "template"
    assert attribution.workflow_version_id == draft.workflow_version_id
    assert attribution.experiment_arm == draft.experiment_arm
    assert (recorded.outcome.recorded_by, recorded.outcome.note) == (coworker, "Fri 3pm")


@pytest.mark.parametrize("outcome", [Outcome.DECLINED, Outcome.NO_REPLY, Outcome.BLOCKED])
def test_the_other_outcomes_close_the_thread(canon, coworker, outcome):
    thread = ingest(make_inbound()).decision.thread
    outcome_record(thread=thread, outcome=outcome, user=coworker, source=PANEL)
    assert Thread.objects.get(id=thread.id).state == ThreadState.CLOSED


def test_drafts_not_sent_are_not_attributed(canon, coworker):
    thread = ingest(make_inbound()).decision.thread  # held for review, never sent
    recorded = outcome_record(thread=thread, outcome=Outcome.BOOKED, user=coworker, source=PANEL)
    assert not recorded.outcome.attributions.exists()


def test_the_same_outcome_twice_records_one_row(canon, coworker):
    thread = ingest(make_inbound()).decision.thread
    first = outcome_record(thread=thread, outcome=Outcome.DECLINED, user=coworker, source=PANEL)
    second = outcome_record(thread=thread, outcome=Outcome.DECLINED, user=None, source="api")
    assert (first.created, second.created) == (True, False)
    assert second.outcome == first.outcome
    assert ThreadOutcome.objects.filter(thread=thread).count() == 1


def test_a_new_outcome_after_another_is_a_new_row(canon, coworker):
    thread = ingest(make_inbound()).decision.thread
    outcome_record(thread=thread, outcome=Outcome.NO_REPLY, user=None, source="sweep")
    later = outcome_record(thread=thread, outcome=Outcome.BOOKED, user=coworker, source=PANEL)
    assert later.created
    assert ThreadOutcome.objects.filter(thread=thread).count() == 2
    assert Thread.objects.get(id=thread.id).state == ThreadState.BOOKED


def test_an_unknown_outcome_is_a_field_error_and_writes_nothing(canon, coworker):
    thread = ingest(make_inbound()).decision.thread
    with pytest.raises(ValidationError) as refused:
        outcome_record(thread=thread, outcome="ghosted", user=coworker, source=PANEL)
    assert "outcome" in refused.value.message_dict
    assert not ThreadOutcome.objects.exists()
    assert Thread.objects.get(id=thread.id).state != ThreadState.CLOSED


class TestNoReplySweep:
    def test_records_no_reply_for_a_silent_thread_with_a_sent_reply(
        self, canon, coworker, bridge, clock, settings
    ):
        settings.NO_REPLY_DAYS = 14
        draft = sent_reply(coworker, thread="t-silent", received_at=now())
        clock.shift(timedelta(days=13).total_seconds())
        assert outcomes_sweep_no_reply() == 0

        clock.shift(timedelta(days=2).total_seconds())
        assert sweep_no_reply.delay().get() == 1

        outcome = ThreadOutcome.objects.get(thread_id=draft.thread_id)
        assert (outcome.outcome, outcome.source, outcome.recorded_by) == ("no_reply", "sweep", None)
        assert list(outcome.drafts.all()) == [draft]
        assert Thread.objects.get(id=draft.thread_id).state == ThreadState.CLOSED
        assert outcomes_sweep_no_reply() == 0  # once only

    def test_leaves_threads_without_a_sent_reply_or_with_an_outcome(
        self, canon, coworker, bridge, clock, settings
    ):
        settings.NO_REPLY_DAYS = 14
        ingest(make_inbound(thread="t-never-answered", received_at=now()))
        booked = sent_reply(coworker, thread="t-booked", received_at=now())
        outcome_record(thread=booked.thread, outcome=Outcome.BOOKED, user=coworker, source=PANEL)
        clock.shift(timedelta(days=30).total_seconds())

        assert outcomes_sweep_no_reply() == 0
        assert not ThreadOutcome.objects.filter(outcome=Outcome.NO_REPLY).exists()
