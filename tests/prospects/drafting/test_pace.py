"""A human pace: quiet hours in the thread's time zone, a typing delay, the thread's order,
and a scheduled send a person may cancel until it leaves."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from engines.holds import HoldReason
from prospects.drafting.dispatch import draft_dispatch, drafts_dispatch_stale
from prospects.drafting.pace import (
    after_quiet_hours,
    in_quiet_hours,
    send_pace,
    send_pace_update,
    time_zone_from_phone,
    typing_delay,
)
from prospects.models import Draft, SendPace, Thread
from prospects.review.services import DraftConflict, draft_approve, draft_send_cancel
from tests.support.drafting import ingest
from tests.support.factories import make_inbound
from tests.support.panel import logged_in

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")


@pytest.fixture
def pace(admin_user) -> SendPace:
    """Quiet from 22:00 to 08:00, 200 characters a minute, waits of 20 s to 5 min."""
    return send_pace_update(
        changes={
            "quiet_start": time(22),
            "quiet_end": time(8),
            "typing_chars_per_minute": 200,
            "min_delay_seconds": 20,
            "max_delay_seconds": 300,
        },
        reason="a human pace",
        user=admin_user,
    )


def test_the_typing_delay_grows_with_the_reply_within_the_bounds_and_is_stable(pace):
    short = typing_delay("Hi!", pace, seed="a")
    middle = typing_delay("x" * 200, pace, seed="a")
    long = typing_delay("x" * 5000, pace, seed="a")
    assert short == timedelta(seconds=20)
    # 200 characters at 200 a minute, drawn between 0.75 and 1.5 times as long.
    assert timedelta(seconds=45) <= middle <= timedelta(seconds=90)
    assert long == timedelta(seconds=300)
    assert typing_delay("x" * 200, pace, seed="a") == middle


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(21, 59), False),
        (time(22), True),
        (time(3), True),
        (time(7, 59), True),
        (time(8), False),
    ],
)
def test_quiet_hours_run_past_midnight_in_the_threads_zone(pace, local, quiet):
    moment = datetime.combine(datetime(2026, 12, 7).date(), local, tzinfo=MADRID)
    assert in_quiet_hours(moment, pace, MADRID) is quiet


def test_a_moment_in_the_quiet_hours_moves_to_their_end_that_morning_or_the_next(pace):
    evening = datetime(2026, 12, 7, 23, 30, tzinfo=MADRID)
    night = datetime(2026, 12, 8, 2, 0, tzinfo=MADRID)
    expected = datetime(2026, 12, 8, 8, 0, tzinfo=MADRID)
    assert after_quiet_hours(evening, pace, MADRID) == expected
    assert after_quiet_hours(night, pace, MADRID) == expected


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("+34 91 123 45 67", "Europe/Madrid"),
        ("+33 6 12 34 56 78", "Europe/Paris"),
        ("+49 1512 3456789", "Europe/Berlin"),
        # A Spanish mobile may be on the Canaries: two zones, so none is guessed.
        ("+34 612 345 678", ""),
        ("Robin", ""),
        ("+1 555", ""),
    ],
)
def test_a_phone_number_names_its_countrys_zone_when_there_is_one(text, zone):
    assert time_zone_from_phone(text) == zone


def test_ingest_keeps_a_given_zone_else_reads_the_senders_number(api_for, operator):
    given = ingest(make_inbound("Hi", thread="given", time_zone="America/Bogota")).decision
    read = ingest(make_inbound("Hi", thread="read", sender="+33 6 12 34 56 78")).decision
    unknown = ingest(make_inbound("Hi", thread="unknown", sender="Robin")).decision
    assert given.thread.time_zone == "America/Bogota"
    assert Thread.objects.get(id=read.thread_id).time_zone == "Europe/Paris"
    assert Thread.objects.get(id=unknown.thread_id).time_zone == ""

    answer = api_for(operator).post(
        "/api/inbound/",
        {
            "external_id": "tz-1",
            "thread": "tz",
            "sender": "Robin",
            "body": "Hi",
            "received_at": "2026-12-07T10:00:00Z",
            "time_zone": "Mars/Olympus",
        },
        format="json",
    )
    assert answer.status_code == 400
    assert "time_zone" in answer.json()


def test_an_approval_at_night_in_the_clients_zone_leaves_when_the_quiet_hours_end(
    canon, coworker, pace, bridge, clock
):
    # 09:00 UTC on the clock is 22:00 in Auckland: quiet until 08:00 there (19:00 UTC).
    draft = ingest(make_inbound("Hi", thread="night", time_zone="Pacific/Auckland")).draft
    approved = draft_approve(draft_id=draft.id, user=coworker)
    morning = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
    delay = typing_delay(approved.body, pace, seed=str(draft.id))
    assert approved.release_at == morning + delay

    # Early deliveries of its task send nothing, and the sweeper leaves it alone.
    assert draft_dispatch(draft_id=draft.id).status == Draft.Status.APPROVED
    assert drafts_dispatch_stale() == 0
    assert bridge.received == []

    clock.move_to(morning + delay + timedelta(seconds=1))
    assert drafts_dispatch_stale() == 1  # the sweeper hands it to the worker (eager here)
    assert Draft.objects.get(id=draft.id).status == Draft.Status.SENT
    assert [sent["draft_id"] for sent in bridge.received] == [str(draft.id)]


def test_replies_in_one_thread_leave_in_the_order_they_were_approved(canon, coworker, pace):
    first, second = (ingest(make_inbound("Hi", thread="order")).draft for _ in range(2))
    later = draft_approve(draft_id=second.id, user=coworker)
    earlier = draft_approve(draft_id=first.id, user=coworker)
    assert earlier.release_at > later.release_at


def test_a_scheduled_send_is_cancelled_back_to_the_review_queue_until_it_leaves(
    canon, coworker, pace, api_for
):
    draft = ingest(make_inbound("Hi", thread="cancel")).draft
    draft_approve(draft_id=draft.id, user=coworker)
    for page in ("/sends/", f"/threads/{draft.thread_id}/"):
        html = logged_in(coworker).get(page).content.decode()
        assert f'action="/sends/{draft.id}/cancel/"' in html, page
    cancelled_from_thread = logged_in(coworker).post(
        f"/sends/{draft.id}/cancel/", {"next": f"/threads/{draft.thread_id}/"}
    )
    assert cancelled_from_thread["Location"] == f"/threads/{draft.thread_id}/"
    draft_approve(draft_id=draft.id, user=coworker)

    cancelled = draft_send_cancel(draft_id=draft.id, user=coworker)
    assert (cancelled.status, cancelled.hold_reason) == ("held", HoldReason.SEND_CANCELLED)
    assert cancelled.release_at is None
    assert Draft.objects.awaiting_review(coworker).filter(id=draft.id).exists()

    # Approved again, then claimed by the dispatcher: too late to cancel.
    draft_approve(draft_id=draft.id, user=coworker)
    Draft.objects.filter(id=draft.id).update(dispatch_claimed_at=datetime.now(UTC))
    with pytest.raises(DraftConflict, match="already left, or is being sent now"):
        draft_send_cancel(draft_id=draft.id, user=coworker)
    answer = api_for(coworker).post(f"/api/drafts/{draft.id}/cancel-send/", {}, format="json")
    assert answer.status_code == 409
    unknown = "00000000-0000-0000-0000-000000000001"
    assert logged_in(coworker).post(f"/sends/{unknown}/cancel/").status_code == 404
    assert api_for(coworker).post(f"/api/drafts/{unknown}/cancel-send/").status_code == 404


def test_the_pace_is_set_by_an_admin_with_a_reason_in_the_same_rules_everywhere(
    admin_user, coworker, api_for
):
    with pytest.raises(ValidationError) as refused:
        send_pace_update(
            changes={"min_delay_seconds": 90, "max_delay_seconds": 30},
            reason="faster",
            user=admin_user,
        )
    assert "max_delay_seconds" in refused.value.message_dict

    api = api_for(admin_user)
    body = {
        "quiet_start": "23:00",
        "quiet_end": "07:30",
        "typing_chars_per_minute": 240,
        "min_delay_seconds": 10,
        "max_delay_seconds": 5,
        "reason": "night owls",
    }
    assert api.put("/api/settings/pace/", body, format="json").json().keys() == {
        "max_delay_seconds"
    }
    assert "reason" in api.put("/api/settings/pace/", body | {"reason": ""}, format="json").json()
    saved = api.put("/api/settings/pace/", body | {"max_delay_seconds": 60}, format="json")
    assert saved.status_code == 200, saved.json()
    assert saved.json()["quiet_start"] == "23:00"
    assert send_pace().history.first().history_change_reason == "night owls"
    assert api_for(coworker).get("/api/settings/pace/").status_code == 200
    assert api_for(coworker).put("/api/settings/pace/", body, format="json").status_code == 403


def test_the_pace_page_shows_field_errors_and_the_history_with_the_reason(admin_user, coworker):
    client = logged_in(admin_user)
    form = {
        "quiet_start": "22:00",
        "quiet_end": "08:00",
        "typing_chars_per_minute": "200",
        "min_delay_seconds": "600",
        "max_delay_seconds": "60",
        "reason": "try",
    }
    refused = client.post("/settings/pace/", form)
    assert refused.status_code == 400
    assert 'id="id_max_delay_seconds_error"' in refused.content.decode()
    saved = client.post("/settings/pace/", form | {"min_delay_seconds": "30"}, follow=True)
    assert "Send pace saved." in saved.content.decode()
    assert "try" in saved.content.decode()
    assert logged_in(coworker).post("/settings/pace/", form).status_code == 403
    assert (
        "Only an admin changes the send pace."
        in logged_in(coworker).get("/settings/pace/").content.decode()
    )
