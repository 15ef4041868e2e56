"""How well drafts fared in review, per workflow version, engine build or experiment arm.

The one place these rates are defined; the workflow and engine pages, the API and
experiments all read them from here.
"""

from dataclasses import dataclass

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet

from engines.holds import ENGINE_FAILURES
from prospects.models import Correction, Draft, Outcome, OutcomeAttribution

REVIEWED = Q(reviewed_at__isnull=False)
REJECTED = REVIEWED & Q(status=Draft.Status.REJECTED)
CORRECTED = Q(correction__kind=Correction.Kind.EDITED)
ACCEPTED_UNEDITED = REVIEWED & Q(correction__isnull=True) & ~Q(status=Draft.Status.REJECTED)
HELD_BY_ENGINE = Q(drafted_hold_reason__in=sorted(ENGINE_FAILURES))
SENT = Q(status=Draft.Status.SENT)


def booked_after() -> Exists:
    """A sent draft whose thread's booking was attributed to it (it was sent before)."""
    return Exists(
        OutcomeAttribution.objects.filter(draft=OuterRef("pk"), outcome__outcome=Outcome.BOOKED)
    )


@dataclass(frozen=True)
class Scores:
    drafts: int = 0
    reviewed: int = 0
    accepted_unedited: int = 0
    corrected: int = 0
    rejected: int = 0
    held_by_engine: int = 0
    mean_edit_distance: float | None = None  # over edited drafts; None when there are none
    threads_sent: int = 0  # threads where one of these drafts was sent
    threads_booked: int = 0  # of those, the threads whose booking is attributed to one

    @property
    def accepted_rate(self) -> float | None:
        """Share of reviewed drafts approved exactly as drafted."""
        return self.accepted_unedited / self.reviewed if self.reviewed else None

    @property
    def rejection_rate(self) -> float | None:
        return self.rejected / self.reviewed if self.reviewed else None

    @property
    def hold_rate(self) -> float | None:
        """Share of drafts the engine or the validation gate could not deliver."""
        return self.held_by_engine / self.drafts if self.drafts else None

    @property
    def booking_rate(self) -> float | None:
        """Share of the threads these drafts were sent in that then booked."""
        return self.threads_booked / self.threads_sent if self.threads_sent else None

    def as_json(self) -> dict:
        return {
            "drafts": self.drafts,
            "reviewed": self.reviewed,
            "accepted_unedited": self.accepted_unedited,
            "corrected": self.corrected,
            "rejected": self.rejected,
            "held_by_engine": self.held_by_engine,
            "accepted_rate": self.accepted_rate,
            "mean_edit_distance": self.mean_edit_distance,
            "rejection_rate": self.rejection_rate,
            "hold_rate": self.hold_rate,
            "threads_sent": self.threads_sent,
            "threads_booked": self.threads_booked,
            "booking_rate": self.booking_rate,
        }


def draft_scores(group_by: str, drafts: QuerySet[Draft] | None = None) -> dict:
    """Scores keyed by the value of ``group_by`` (a Draft field), in one query."""
    rows = (
        (drafts if drafts is not None else Draft.objects.all())
        .order_by()
        .values(group_by)
        .annotate(
            drafts=Count("id"),
            reviewed=Count("id", filter=REVIEWED),
            accepted_unedited=Count("id", filter=ACCEPTED_UNEDITED),
            corrected=Count("id", filter=CORRECTED),
            rejected=Count("id", filter=REJECTED),
            held_by_engine=Count("id", filter=HELD_BY_ENGINE),
            mean_edit_distance=Avg("correction__edit_distance", filter=CORRECTED),
            threads_sent=Count("thread", filter=SENT, distinct=True),
            threads_booked=Count("thread", filter=SENT & Q(booked_after()), distinct=True),
        )
    )
    return {row.pop(group_by): Scores(**row) for row in rows}


def scores_for(group_by: str, key) -> Scores:
    """One group's scores (zeros when it has no drafts)."""
    return draft_scores(group_by, Draft.objects.filter(**{group_by: key})).get(key, Scores())
