"""The daily send cap: past it, a draft no person approved is held for one."""

from datetime import timedelta

import pytest

from engines.holds import HoldReason
from prospects.models import Draft
from prospects.review.services import draft_approve
from prospects.selectors import pipeline_settings, utc_day_start
from prospects.vocabulary import say
from tests.support.drafting import ingest
from tests.support.factories import make_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def cap_of_one(auto_send_opener):
    row = pipeline_settings()
    row.daily_send_cap = 1
    row.save()


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def auto_sent(thread: str) -> Draft:
        with django_capture_on_commit_callbacks(execute=True):
            draft = ingest(make_inbound("Hi", thread=thread)).draft
        return Draft.objects.get(id=draft.id)

    return auto_sent


def test_a_draft_past_the_cap_is_held_for_a_person(cap_of_one, bridge, send):
    first, second = send("one"), send("two")

    assert first.status == Draft.Status.SENT
    assert (second.status, second.hold_reason) == (Draft.Status.HELD, HoldReason.DAILY_SEND_CAP)
    assert "1 reply was already sent without a person today" in second.hold_detail
    assert second.reviewed_at is None  # in the review queue
    assert len(bridge.received) == 1


def test_a_person_approving_it_sends_it_past_the_cap(
    cap_of_one, bridge, send, coworker, django_capture_on_commit_callbacks
):
    send("one")
    held = send("two")

    with django_capture_on_commit_callbacks(execute=True):
        draft_approve(draft_id=held.id, user=coworker)

    assert Draft.objects.get(id=held.id).status == Draft.Status.SENT
    assert len(bridge.received) == 2


def test_replies_sent_before_midnight_utc_do_not_count(cap_of_one, bridge, send):
    first = send("one")
    Draft.objects.filter(id=first.id).update(sent_at=utc_day_start() - timedelta(seconds=1))

    assert send("two").status == Draft.Status.SENT


def test_replies_a_person_approved_do_not_count(
    cap_of_one, bridge, send, coworker, django_capture_on_commit_callbacks
):
    row = pipeline_settings()
    row.auto_send_keys = []
    row.save()
    with django_capture_on_commit_callbacks(execute=True):
        reviewed = ingest(make_inbound("Hi", thread="reviewed")).draft
        draft_approve(draft_id=reviewed.id, user=coworker)
    row.auto_send_keys = ["opener.welcome"]
    row.save()

    assert send("auto").status == Draft.Status.SENT


def test_no_cap_sends_them_all(auto_send_opener, bridge, send):
    assert [send(name).status for name in ("one", "two", "three")] == [Draft.Status.SENT] * 3


def test_the_hold_reads_in_words():
    assert say("hold_reason", HoldReason.DAILY_SEND_CAP) == (
        "Today's cap on replies sent without a person is reached"
    )
