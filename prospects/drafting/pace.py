"""A human pace: when an approved reply leaves.

Every approved draft, approved by a person or sent without one, is scheduled here, in the
transaction that approves it: it waits a typing delay drawn from its length, after the
replies already waiting in its thread (so they keep their order), and past the admin's
quiet hours in the thread's time zone. The dispatcher sends it at ``release_at``, and
Gate-2's send-time checks run then, not at approval; until then a person may cancel it.
"""

import random
from datetime import datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from phonenumbers import timezone as number_zones

from core.clock import now
from core.history import CHANGE_REASON_LENGTH
from engines.holds import HoldReason
from prospects.drafting.transitions import draft_transition
from prospects.enqueue import dispatch_later
from prospects.models import Draft, SendPace, Thread

# How much faster or slower than the set speed one reply is typed: people are uneven.
TYPING_SPREAD = (0.75, 1.5)
# A send due within this is handed to the worker with a countdown; a later one is left to
# the dispatch sweeper, since a broker redelivers long countdowns (Redis: after an hour).
COUNTDOWN_LIMIT = timedelta(minutes=10)


def send_pace() -> SendPace:
    row, _ = SendPace.objects.get_or_create(id=SendPace.SINGLETON_ID)
    return row


@cache
def time_zone_names() -> frozenset[str]:
    # Read from the tz database once a process: a walk of it takes tens of milliseconds,
    # and ingest asks for every message that names a zone.
    return frozenset(available_timezones())


def known_time_zone(name: str) -> bool:
    return name in time_zone_names()


def time_zone_from_phone(text: str) -> str:
    """The one time zone ``text``'s phone number is from ("+34 91 123 45 67" ->
    "Europe/Madrid"); "" when it is no number, or it may be in several zones (a Spanish
    mobile may be on the Canaries): the install's default applies then, and a bridge that
    knows better passes ``time_zone`` at ingest."""
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    zones = number_zones.time_zones_for_number(number)
    if len(zones) != 1 or zones[0] == number_zones.UNKNOWN_TIMEZONE:
        return ""
    return zones[0] if known_time_zone(zones[0]) else ""


def thread_zone(time_zone: str) -> ZoneInfo:
    """The thread's own zone, else the install's default."""
    try:
        return ZoneInfo(time_zone or settings.THREAD_DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.THREAD_DEFAULT_TIME_ZONE)


def typing_delay(body: str, pace: SendPace, *, seed: str) -> timedelta:
    """The time a person would take to type ``body``, drawn around the set speed, within
    the admin's bounds. Seeded by the draft, so scheduling it again gives the same wait."""
    chars_per_second = pace.typing_chars_per_minute / 60
    drawn = len(body) / chars_per_second * random.Random(seed).uniform(*TYPING_SPREAD)
    return timedelta(seconds=min(max(drawn, pace.min_delay_seconds), pace.max_delay_seconds))


def in_quiet_hours(moment: datetime, pace: SendPace, zone: ZoneInfo) -> bool:
    start, end = pace.quiet_start, pace.quiet_end
    local = moment.astimezone(zone).time()
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # the hours run past midnight


def after_quiet_hours(moment: datetime, pace: SendPace, zone: ZoneInfo) -> datetime:
    """``moment``, or the end of the quiet hours it falls in (in the thread's zone)."""
    if not in_quiet_hours(moment, pace, zone):
        return moment
    local = moment.astimezone(zone)
    end = _at(local, pace.quiet_end)
    if end <= local:
        end = _at(local + timedelta(days=1), pace.quiet_end)
    return end


def _at(day: datetime, clock_time: time) -> datetime:
    """``clock_time`` on ``day``'s date in its zone (a time a DST change skips is
    moved on by the zone's rules)."""
    naive = datetime.combine(day.date(), clock_time)
    return naive.replace(tzinfo=day.tzinfo)


def release_time(draft: Draft, *, pace: SendPace, zone: ZoneInfo) -> datetime:
    """After the replies already waiting in the thread, a typing delay on, out of the quiet
    hours; the delay starts again when the quiet hours end (nobody answers on the dot)."""
    waiting = (
        Draft.objects.filter(
            thread_id=draft.thread_id, status=Draft.Status.APPROVED, release_at__isnull=False
        )
        .exclude(id=draft.id)
        .aggregate(last=Max("release_at"))["last"]
    )
    start = max(now(), waiting) if waiting else now()
    delay = typing_delay(draft.body, pace, seed=str(draft.id))
    release = start + delay
    if in_quiet_hours(release, pace, zone):
        release = after_quiet_hours(release, pace, zone) + delay
    return release


def send_schedule(draft: Draft) -> Draft:
    """Sets an approved draft's release time, and hands it to the worker for then once the
    approval commits. Call inside the approving transaction."""
    time_zone = Thread.objects.values_list("time_zone", flat=True).get(id=draft.thread_id)
    release = release_time(draft, pace=send_pace(), zone=thread_zone(time_zone))
    Draft.objects.filter(id=draft.id).update(release_at=release)
    draft.release_at = release
    wait = release - now()
    if wait <= COUNTDOWN_LIMIT:
        transaction.on_commit(
            lambda: dispatch_later(draft.id, countdown=max(wait.total_seconds(), 0))
        )
    return draft


def send_cancel(*, draft_id, user) -> Draft | None:
    """Takes a scheduled reply back before it leaves: the draft waits for a person again.
    None when it was already on its way (claimed by the dispatcher) or not scheduled."""
    return draft_transition(
        draft_id,
        allowed_from=[Draft.Status.APPROVED],
        when=Q(dispatch_claimed_at__isnull=True, release_at__isnull=False),
        user=user,
        reason=f"hold:{HoldReason.SEND_CANCELLED}",
        status=Draft.Status.HELD,
        hold_reason=HoldReason.SEND_CANCELLED,
        hold_detail=f"{user} cancelled the send before it left.",
        release_at=None,
        reviewed_at=None,
    )


# What the history keeps of a reason (django-simple-history's column).
REASON_MAX_CHARS = CHANGE_REASON_LENGTH  # kept whole in the history
PACE_FIELDS = (
    "quiet_start",
    "quiet_end",
    "typing_chars_per_minute",
    "min_delay_seconds",
    "max_delay_seconds",
)


def send_pace_update(*, changes: dict, reason: str, user) -> SendPace:
    """Sets the send pace, with the person and their reason in its history. The rules the
    panel's form and the API share: each field's own, and the shortest wait no longer than
    the longest (``SendPace.clean``). Raises ``ValidationError`` naming the field."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say in a line why the pace changes."})
    if len(reason.strip()) > REASON_MAX_CHARS:
        raise ValidationError({"reason": f"At most {REASON_MAX_CHARS} characters."})
    with transaction.atomic():
        row = SendPace.objects.select_for_update().get(id=send_pace().id)
        for name, value in changes.items():
            if name not in PACE_FIELDS:
                raise ValidationError({name: "Not a setting of the send pace."})
            setattr(row, name, value)
        row.full_clean()  # SendPace.clean: the shortest wait no longer than the longest
        row._history_user = user
        row._change_reason = reason.strip()
        row.save()
    return row
