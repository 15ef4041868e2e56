from dataclasses import dataclass
from datetime import UTC, timedelta

from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest, Substr

from core.clock import now
from prospects.models import (
    Correction,
    Decision,
    Draft,
    DraftJob,
    DraftJobItem,
    InboundMessage,
    PipelineSettings,
    SafetyCue,
    Thread,
    ThreadOutcome,
    awaiting_review,
)


def pipeline_settings() -> PipelineSettings:
    row, _ = PipelineSettings.objects.get_or_create(id=PipelineSettings.SINGLETON_ID)
    return row


def sends_in_last_day(thread: Thread, *, exclude_draft=None) -> int:
    """Replies out to the thread in the last day (``Draft.objects.replies_out``): they all
    count towards Gate-2's daily cap."""
    since = now() - timedelta(days=1)
    return (
        Draft.objects.replies_out(since=since)
        .filter(thread=thread)
        .exclude(id=exclude_draft)
        .count()
    )


def utc_day_start():
    """Midnight (UTC) that began today."""
    return now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def sends_without_person_today(*, exclude_draft=None) -> int:
    """Replies out since midnight UTC that no person approved (``reviewed_by`` empty):
    what the daily send cap counts."""
    return (
        Draft.objects.replies_out(since=utc_day_start())
        .filter(reviewed_by__isnull=True)
        .exclude(id=exclude_draft)
        .count()
    )


def draft_counts_by_status() -> dict[str, int]:
    counts = dict(Draft.objects.values_list("status").annotate(n=Count("id")).order_by())
    return {status: counts.get(status, 0) for status in Draft.Status.values}


@dataclass(frozen=True)
class HeldCounts:
    """Every held draft counted once, by where it stands for one user: the dashboard's
    held count and the review queue's "Waiting" both read these, so they cannot disagree
    without the page saying why."""

    waiting: int  # the user's review queue: ``Draft.objects.awaiting_review(user)``
    open_by_others: int  # not reviewed yet, open (claimed) by another coworker now
    after_review: int  # approved by a person, then held at sending: not reviewed again

    @property
    def held(self) -> int:
        return self.waiting + self.open_by_others + self.after_review


def held_counts(user) -> HeldCounts:
    """One query over the held drafts."""
    counts = Draft.objects.filter(status=Draft.Status.HELD).aggregate(
        waiting=Count("id", filter=awaiting_review(user)),
        unreviewed=Count("id", filter=Q(reviewed_at__isnull=True)),
        held=Count("id"),
    )
    return HeldCounts(
        waiting=counts["waiting"],
        open_by_others=counts["unreviewed"] - counts["waiting"],
        after_review=counts["held"] - counts["unreviewed"],
    )


def threads_search(query: str = "") -> QuerySet[Thread]:
    """Threads, latest first, matching ``query`` in the handle or a sender's name.

    The held count is a per-row subquery, so it is computed for the page shown only; the
    ``icontains`` filters use trigram indexes (migration prospects 0006).
    """
    held = (
        Draft.objects.filter(thread=OuterRef("pk"), status=Draft.Status.HELD)
        .order_by()
        .values("thread")
        .annotate(n=Count("id"))
        .values("n")
    )
    threads = Thread.objects.annotate(held_count=Coalesce(Subquery(held), 0)).order_by(
        "-last_message_at", "handle"
    )
    if query:
        # A union of two trigram-index lookups; an OR would scan every thread.
        handles = Thread.objects.filter(handle__icontains=query).order_by().values("id")
        senders = (
            InboundMessage.objects.filter(sender__icontains=query).order_by().values("thread_id")
        )
        threads = threads.filter(id__in=handles.union(senders))
    return threads


def thread_with_history(thread_id) -> Thread:
    return Thread.objects.prefetch_related(
        Prefetch("messages", queryset=InboundMessage.objects.order_by("received_at")),
        Prefetch("decisions", queryset=Decision.objects.select_related("message")),
        Prefetch(
            "drafts",
            queryset=Draft.objects.select_related("reviewed_by", "workflow_version__workflow"),
        ),
    ).get(id=thread_id)


def _per_thread(rows: QuerySet, aggregate):
    """One figure over a thread's rows, as a subquery: counting across two joins at once
    would multiply the rows of each."""
    return Subquery(
        rows.filter(thread=OuterRef("pk"))
        .order_by()
        .values("thread")
        .annotate(x=aggregate)
        .values("x")
    )


def threads_for_clients() -> QuerySet[Thread]:
    """Threads with what a CRM keeps of each: the latest decision's move and template key,
    the latest sender, counts of messages and drafts, when the last reply went out. Each
    figure is a per-row subquery, computed for the page shown only (one query a page)."""
    latest_decision = Decision.objects.filter(thread=OuterRef("pk")).order_by("-created_at", "-id")
    latest_message = InboundMessage.objects.filter(thread=OuterRef("pk")).order_by(
        "-received_at", "-created_at"
    )
    return Thread.objects.annotate(
        latest_decision_id=Subquery(latest_decision.values("id")[:1]),
        latest_move=Subquery(latest_decision.values("move")[:1]),
        latest_template_key=Subquery(latest_decision.values("template_key")[:1]),
        latest_sender=Subquery(latest_message.values("sender")[:1]),
        latest_external_id=Subquery(latest_message.values("external_id")[:1]),
        message_count=Coalesce(_per_thread(InboundMessage.objects, Count("id")), 0),
        draft_count=Coalesce(_per_thread(Draft.objects, Count("id")), 0),
        last_reply_sent_at=_per_thread(Draft.objects, Max("sent_at")),
        updated_at=Greatest(
            "created_at",
            "last_message_at",
            Coalesce(_per_thread(Draft.objects, Max("updated_at")), "created_at"),
        ),
        person_only=Exists(
            SafetyCue.objects.filter(thread=OuterRef("pk"), cleared_at__isnull=True)
        ),
        outcome=Subquery(
            ThreadOutcome.objects.filter(thread=OuterRef("pk"))
            .order_by("-recorded_at")
            .values("outcome")[:1]
        ),
    )


def decisions_for_clients() -> QuerySet[Decision]:
    """Decisions with their message and the latest draft's id and status, one query a
    page."""
    latest_draft = Draft.objects.filter(decision=OuterRef("pk")).order_by("-created_at", "-id")
    return Decision.objects.select_related("message").annotate(
        latest_draft_id=Subquery(latest_draft.values("id")[:1]),
        latest_draft_status=Subquery(latest_draft.values("status")[:1]),
    )


def threads_with_decisions(limit: int = 200) -> QuerySet[Thread]:
    return Thread.objects.filter(decisions__isnull=False).distinct().order_by("handle")[:limit]


def settings_history(limit: int = 20):
    return PipelineSettings.history.select_related("history_user")[:limit]


# Item statuses each progress figure counts; ``with_progress`` and ``job_progress`` share them.
PROGRESS_STATUSES = {
    "drafted": [DraftJobItem.Status.DRAFTED],
    "held": [DraftJobItem.Status.HELD],
    "failed": [DraftJobItem.Status.FAILED],
    "pending": list(DraftJobItem.PENDING),
    "cancelled": [DraftJobItem.Status.CANCELLED],
}


def with_progress(jobs: QuerySet[DraftJob]) -> QuerySet[DraftJob]:
    """Annotates each job's item counts, so a list of jobs costs one query (newest first:
    Meta.ordering is not applied to a grouped query)."""
    return jobs.order_by(*DraftJob._meta.ordering).annotate(
        progress_total=Count("items"),
        **{
            f"progress_{name}": Count("items", filter=Q(items__status__in=statuses))
            for name, statuses in PROGRESS_STATUSES.items()
        },
    )


def jobs_recent() -> QuerySet[DraftJob]:
    return with_progress(DraftJob.objects.select_related("created_by"))


def jobs_live(limit: int = 5) -> QuerySet[DraftJob]:
    return with_progress(DraftJob.objects.filter(status__in=DraftJob.LIVE))[:limit]


def recent_decisions(limit: int = 10) -> QuerySet[Decision]:
    return Decision.objects.select_related("thread", "message")[:limit]


def drafts_list() -> QuerySet[Draft]:
    return Draft.objects.select_related("thread", "decision")


def review_queue(user) -> QuerySet[Draft]:
    """Drafts awaiting review that ``user`` may take (not open by another coworker),
    oldest first."""
    return Draft.objects.awaiting_review(user).order_by("created_at", "id")


# The review queue's sidebar shows this much of each message: enough to tell them apart.
QUEUE_PREVIEW_CHARS = 80


def queue_sidebar(queue: QuerySet[Draft], limit: int) -> QuerySet[Draft]:
    """The first ``limit`` drafts of a review queue, with only what the sidebar lists: why
    each waits and since when, who wrote, and the first ``QUEUE_PREVIEW_CHARS`` characters
    of what they wrote, and one more, so that a cut ``preview`` can say it is cut."""
    return queue.only("id", "hold_reason", "created_at").annotate(
        sender=F("decision__message__sender"),
        preview=Substr("decision__message__body", 1, QUEUE_PREVIEW_CHARS + 1),
    )[:limit]


def review_item(draft_id) -> Draft:
    """A draft with everything the review pane shows. The join stays small: planning an
    eight-table join took longer than running it."""
    return Draft.objects.select_related(
        "decision__message", "decision__label", "thread", "workflow_version__workflow"
    ).get(id=draft_id)


def recent_messages(draft: Draft, limit: int = 10) -> list[InboundMessage]:
    upto = draft.decision.message.received_at
    rows = draft.thread.messages.filter(received_at__lte=upto).order_by("-received_at")[:limit]
    return list(reversed(rows))


def corrections_list() -> QuerySet[Correction]:
    return Correction.objects.select_related(
        "author", "draft__thread", "workflow_version__workflow"
    ).order_by("-created_at", "id")


def retrieved_corrections(draft: Draft) -> list[Correction]:
    """The corrections the draft's prompt carried, in prompt order."""
    found = {
        str(key): row
        for key, row in Correction.objects.in_bulk(draft.retrieved_corrections).items()
    }
    return [found[key] for key in draft.retrieved_corrections if key in found]


def scheduled_sends() -> QuerySet[Draft]:
    """Approved replies waiting for their release time (``drafting.pace``), soonest first:
    the ones a person may still cancel."""
    return (
        Draft.objects.filter(
            status=Draft.Status.APPROVED,
            release_at__isnull=False,
            dispatch_claimed_at__isnull=True,
        )
        .select_related("thread", "decision__message")
        .order_by("release_at", "id")
    )
