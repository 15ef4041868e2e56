import uuid
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from simple_history.models import HistoricalRecords

from builder.models import WorkflowVersion
from builder.taxonomy import Archetype, ThreadState
from core.clock import now
from core.untrusted import RemovedCharacter, Segment, mark_invisible, removed_characters
from engines.holds import HoldReason
from engines.ids import MAX_ENGINE_ID_LENGTH, TEMPLATE_ENGINE_ID, validate_engine_id

# Who decided a move when no classifier build did (decisions record the build's id otherwise).
RULES = "rules"


class Mode(models.TextChoices):
    REVIEW = "review", "Hold for review"
    AUTO_SEND = "auto_send", "Auto-send"


class WithoutWorkflow(models.TextChoices):
    """What a model engine's draft does when it cannot run: no workflow, or no ready engine."""

    HOLD = "hold", "Hold the draft"
    TEMPLATE = "template", "Fall back to the template engine"


class Thread(models.Model):
    """One conversation per counterpart, known by the bridge's thread handle."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    handle = models.CharField(max_length=200, unique=True)
    archetype = models.CharField(
        max_length=32, choices=Archetype.choices, default=Archetype.NEW_CONTACT
    )
    state = models.CharField(max_length=16, choices=ThreadState.choices, default=ThreadState.NEW)
    # IANA name, e.g. "Europe/Madrid": given at ingest or read from the sender's phone
    # number; blank is the install's THREAD_DEFAULT_TIME_ZONE (drafting/pace.py).
    time_zone = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Never null: a thread is made with its first message. A nullable column would need
    # NULLS LAST in the index below, which SQLite (the demo's database) refuses.
    last_message_at = models.DateTimeField(default=now, db_index=True)

    class Meta:
        ordering = ["-last_message_at", "handle"]
        indexes = [
            # The threads page's order, so its first page reads 25 index entries instead of
            # sorting every thread.
            models.Index(F("last_message_at").desc(), F("handle"), name="thread_by_latest"),
        ]

    def __str__(self) -> str:
        return self.handle


class InboundMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Evidence (messages, decisions, drafts, corrections) is never removed by a cascade:
    # deleting what it hangs on raises ProtectedError instead.
    thread = models.ForeignKey(Thread, related_name="messages", on_delete=models.PROTECT)
    external_id = models.CharField(max_length=200, unique=True)
    sender = models.CharField(max_length=200)
    body = models.TextField()
    # Invisible characters stripped from the body on arrival (see core.untrusted).
    invisible_removed = models.PositiveIntegerField(default=0)
    # What the sender sent, for the audit trail, when it differs from ``body``.
    original_body = models.TextField(blank=True)
    received_at = models.DateTimeField()
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "created_at"]

    def __str__(self) -> str:
        return self.external_id

    @property
    def removed_characters(self) -> list[RemovedCharacter]:
        return removed_characters(self.original_body)

    @property
    def original_body_marked(self) -> list[Segment]:
        return mark_invisible(self.original_body)


class SafetyCue(models.Model):
    """A safety category one of a thread's messages tripped (Gate-2's safety rules). A
    thread with an uncleared cue is person-only: every later reply in it is held and never
    auto-sent, until an admin clears the thread's cues with a reason."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    thread = models.ForeignKey(Thread, related_name="safety_cues", on_delete=models.PROTECT)
    message = models.ForeignKey(
        InboundMessage, related_name="safety_cues", on_delete=models.PROTECT
    )
    category = models.CharField(max_length=32)
    # The words that matched, as the sender wrote them after normalisation.
    words = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    clear_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "category"], name="safety_cue_once_per_message"
            ),
        ]
        indexes = [
            models.Index(
                fields=["thread"], name="safety_cue_open", condition=models.Q(cleared_at=None)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.words}"


class Decision(models.Model):
    """What the pipeline decided for one inbound message, with everything that led there."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.OneToOneField(
        InboundMessage, related_name="decision", on_delete=models.PROTECT
    )
    thread = models.ForeignKey(Thread, related_name="decisions", on_delete=models.PROTECT)
    is_prospect = models.BooleanField()
    move = models.CharField(max_length=32)
    # The classifier that decided: a classifier build's engine id, or "rules".
    classified_by = models.CharField(max_length=MAX_ENGINE_ID_LENGTH, default="rules")
    # The classifier's confidence in its move, 0..1; null where it gives none (the rules).
    confidence = models.FloatField(null=True, blank=True, db_index=True)
    trace = models.TextField(blank=True)
    # Why the live classifier build gave no answer, when it gave none (the rules decided).
    classifier_problem = models.TextField(blank=True)
    archetype = models.CharField(max_length=32, choices=Archetype.choices)
    state = models.CharField(max_length=16, choices=ThreadState.choices)
    # The review queue's template-key filter reaches drafts through their decisions.
    template_key = models.CharField(max_length=100, blank=True, db_index=True)
    gate2_results = models.JSONField(default=list)
    mode = models.CharField(max_length=16, choices=Mode.choices)
    engine_id = models.CharField(max_length=MAX_ENGINE_ID_LENGTH)
    # The workflow version resolution picked; a referenced version can never be deleted.
    workflow_version = models.ForeignKey(
        WorkflowVersion,
        null=True,
        blank=True,
        related_name="decisions",
        on_delete=models.PROTECT,
    )
    experiment_arm = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.move} -> {self.template_key or 'no reply'}"

    @property
    def gate2_forced_hold(self) -> bool:
        return any(not result["passed"] for result in self.gate2_results)


# Held and not reviewed yet: the review queue, and the condition of its partial indexes.
HELD_UNREVIEWED = models.Q(status="held", reviewed_at__isnull=True)


def awaiting_review(user) -> models.Q:
    """The one definition of the review queue for ``user``: held, not reviewed yet, and not
    claimed by another coworker (an expired claim is free). The claim depends on the
    clock, so the indexes cover only ``HELD_UNREVIEWED``."""
    free = (
        models.Q(review_claimed_by__isnull=True)
        | models.Q(review_claimed_by=user)
        | models.Q(review_claimed_until__lt=now())
    )
    return HELD_UNREVIEWED & free


class DraftQuerySet(models.QuerySet):
    def awaiting_review(self, user) -> "DraftQuerySet":
        return self.filter(awaiting_review(user))

    def replies_out(self, *, since=None) -> "DraftQuerySet":
        """Replies the bridge has, or may have: sent; being sent (approved and claimed by a
        dispatcher); or held ``bridge_unknown``, posted with no answer (a timeout may come
        after delivery). Gate-2's daily cap and "already answered" count all three. With
        ``since``, those sent or posted since then, and every one in flight."""
        sent = models.Q(status="sent")
        unknown = models.Q(status="held", hold_reason=HoldReason.BRIDGE_UNKNOWN)
        if since is not None:
            sent &= models.Q(sent_at__gte=since)
            unknown &= models.Q(dispatch_claimed_at__gte=since)
        sending = models.Q(status="approved", dispatch_claimed_at__isnull=False)
        return self.filter(sent | sending | unknown)


class Draft(models.Model):
    class Status(models.TextChoices):
        # A live message's placeholder: stored with its decision, drafted by the worker.
        QUEUED = "queued", "Queued for the worker"
        HELD = "held", "Held for review"
        APPROVED = "approved", "Approved"
        SENT = "sent", "Sent"
        REJECTED = "rejected", "Rejected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    decision = models.ForeignKey(Decision, related_name="drafts", on_delete=models.PROTECT)
    thread = models.ForeignKey(Thread, related_name="drafts", on_delete=models.PROTECT)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    hold_reason = models.CharField(max_length=32, choices=HoldReason.choices, blank=True)
    hold_detail = models.TextField(blank=True)
    gate_failed = models.JSONField(default=list, blank=True)
    engine_id = models.CharField(max_length=MAX_ENGINE_ID_LENGTH, db_index=True)
    workflow_version = models.ForeignKey(
        WorkflowVersion,
        null=True,
        blank=True,
        related_name="drafts",
        on_delete=models.PROTECT,
    )
    experiment_arm = models.CharField(max_length=120, blank=True)
    engine_latency_ms = models.PositiveIntegerField(default=0)
    # The chain as it ran: per step its prompt, output, tokens and latency.
    steps = models.JSONField(default=list, blank=True)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Why the engine's draft was held when it was made (never cleared by review): hold rates.
    drafted_hold_reason = models.CharField(max_length=32, choices=HoldReason.choices, blank=True)
    # The coworker who has this draft open in the review queue, until the claim lapses.
    review_claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    review_claimed_until = models.DateTimeField(null=True, blank=True)
    # Past corrections retrieved as few-shot context for this draft, in prompt order.
    retrieved_corrections = models.JSONField(default=list, blank=True)
    # The escalation a gate failure earned (PipelineSettings.escalation_engine): its
    # outcome ("passed", "gate_failed", "error") and the attempt that did not become the
    # body, with the build that made it, its steps and gate results (or, for "error", why
    # the escalation build gave nothing); empty when there was none. The draft's own
    # engine_id is the build whose body it holds, so scores and exports credit that build.
    escalation = models.JSONField(default=dict, blank=True)
    # The validation-gate rules the reviewer (reviewed_by) overrode to send it anyway.
    overridden_rules = models.JSONField(default=list, blank=True)
    # The person's one-line reason for sending past a safety, person-only or gate hold.
    override_reason = models.TextField(blank=True)
    # Set by the one dispatcher that claimed the send; the claim is what makes it at-most-once.
    dispatch_claimed_at = models.DateTimeField(null=True, blank=True)
    # When an approved draft leaves, at a human pace (drafting/pace.py); until then a
    # person may cancel it. Null: not scheduled.
    release_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The drafting-job item that produced this draft, set in the draft's own insert: one
    # draft per item at most, so a redelivered item can never draft twice.
    job_item = models.OneToOneField(
        "DraftJobItem", null=True, blank=True, related_name="draft", on_delete=models.SET_NULL
    )
    history = HistoricalRecords()

    objects = DraftQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="held") | ~models.Q(hold_reason=""),
                name="held_draft_has_reason",
            ),
        ]
        indexes = [
            # The review queue (``awaiting_review``), oldest first.
            models.Index(
                fields=["created_at"], name="draft_awaiting_review", condition=HELD_UNREVIEWED
            ),
            # The review queue filtered by hold reason.
            models.Index(
                fields=["hold_reason", "created_at"],
                name="draft_awaiting_by_reason",
                condition=HELD_UNREVIEWED,
            ),
            models.Index(fields=["workflow_version", "status"], name="draft_version_status"),
            models.Index(fields=["engine_id", "status"], name="draft_engine_status"),
            # Experiment results and guardrails read one arm's drafts.
            models.Index(
                fields=["experiment_arm", "created_at"],
                name="draft_experiment_arm",
                condition=~models.Q(experiment_arm=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status} draft {self.id}"


class ReasonTag(models.TextChoices):
    """Why a coworker edited or rejected a draft; a fixed list so scores can group by it."""

    TONE = "tone", "Tone or voice"
    TOO_LONG = "too_long", "Too long"
    FACTUAL = "factual", "Wrong facts"
    OFF_TOPIC = "off_topic", "Does not answer the message"
    WRONG_MOVE = "wrong_move", "Wrong move for the situation"
    UNSAFE = "unsafe", "Unsafe (price, address, prompt leak)"
    PERSONA = "persona", "Out of persona"
    GRAMMAR = "grammar", "Spelling or grammar"
    OTHER = "other", "Other"


class Correction(models.Model):
    """A coworker's edit or rejection of a draft, bound to what produced the draft.

    Workflow version, engine id, experiment arm and template key are copied from the
    draft and its decision when the correction is written, so they never drift.
    """

    class Kind(models.TextChoices):
        EDITED = "edited", "Edited and approved"
        REJECTED = "rejected", "Rejected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.OneToOneField(Draft, related_name="correction", on_delete=models.PROTECT)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    original_text = models.TextField(blank=True)
    # None when rejected, which is not the same as an (invalid) empty edit.
    corrected_text = models.TextField(null=True, blank=True)  # noqa: DJ001
    reason_tags = models.JSONField(default=list, blank=True)
    # Normalised character edit distance, original -> corrected (0 same, 1 all new).
    edit_distance = models.FloatField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, related_name="+", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    workflow_version = models.ForeignKey(
        WorkflowVersion,
        null=True,
        blank=True,
        related_name="corrections",
        on_delete=models.PROTECT,
    )
    engine_id = models.CharField(max_length=MAX_ENGINE_ID_LENGTH)
    experiment_arm = models.CharField(max_length=120, blank=True)
    template_key = models.CharField(max_length=100, blank=True)
    # The message the draft answered: what retrieval compares new messages against.
    inbound_text = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["engine_id", "created_at"], name="correction_engine_time"),
            models.Index(fields=["template_key", "-created_at"], name="correction_key_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="rejected", corrected_text__isnull=True)
                | models.Q(kind="edited", corrected_text__isnull=False),
                name="correction_text_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} correction of draft {self.draft_id}"


class MoveLabel(models.Model):
    """A person's word on a decision's move: corrected in the review pane, or confirmed by
    approving its draft without an edit. Classifier training and evaluations read these,
    never the classifier's own output. Bound to the classifier that decided."""

    class Source(models.TextChoices):
        CORRECTED = "corrected", "Corrected by a coworker"
        CONFIRMED = "confirmed", "Confirmed by an approval without edit"
        LABELLED = "labelled", "Labelled on the Decisions page"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Evidence: a labelled decision cannot be deleted from under its label.
    decision = models.OneToOneField(Decision, related_name="label", on_delete=models.PROTECT)
    source = models.CharField(max_length=16, choices=Source.choices)
    move = models.CharField(max_length=32)
    is_prospect = models.BooleanField()
    # One sentence: the coworker's reason, or (confirmed) the cue the decision named.
    reason = models.TextField()
    classifier = models.CharField(max_length=MAX_ENGINE_ID_LENGTH)
    decided_move = models.CharField(max_length=32)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, related_name="+", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["classifier", "source"], name="label_classifier_source")]

    def __str__(self) -> str:
        return f"{self.source}: {self.move} (decided {self.decided_move})"

    @property
    def agrees(self) -> bool:
        return self.move == self.decided_move


class PipelineSettings(models.Model):
    """The singleton row of switches an admin flips: active engine and send mode."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    draft_engine = models.CharField(
        max_length=MAX_ENGINE_ID_LENGTH, default=TEMPLATE_ENGINE_ID, validators=[validate_engine_id]
    )
    # "rules", or a classifier build whose LoRA head decides moves on the worker.
    classifier_engine = models.CharField(max_length=MAX_ENGINE_ID_LENGTH, default=RULES)
    escalation_engine = models.CharField(
        max_length=MAX_ENGINE_ID_LENGTH,
        blank=True,
        default="",
        help_text="A model build, other than the one that drafted, that gets one more try at "
        "a draft the validation gate refused. Empty: no escalation.",
    )
    default_mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.REVIEW)
    auto_send_keys = models.JSONField(
        default=list, blank=True, help_text="Template keys whose drafts are sent without review."
    )
    without_workflow = models.CharField(
        max_length=16,
        choices=WithoutWorkflow.choices,
        default=WithoutWorkflow.HOLD,
        help_text="What a model engine does when no published workflow matches.",
    )
    engine_wait_fallback = models.CharField(
        max_length=16,
        choices=WithoutWorkflow.choices,
        default=WithoutWorkflow.HOLD,
        help_text="What a live draft does when its model build is not ready in time "
        "(LIVE_DRAFT_MAX_WAIT_SECONDS).",
    )
    uncertain_move_threshold = models.FloatField(
        default=0.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="A decision whose classifier is less confident than this (0 to 1) is held "
        "for a person whatever the send mode; 0 never holds.",
    )
    daily_send_cap = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="At most this many replies a day (UTC) are sent without a person; "
        "past it, drafts are held for review. Empty: no cap.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "pipeline settings"

    def __str__(self) -> str:
        return f"draft_engine={self.draft_engine}"


class SendPace(models.Model):
    """The singleton row of how fast replies leave, set by an admin: quiet hours in each
    thread's time zone, and the bounds of the typing delay every send waits."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    quiet_start = models.TimeField(
        default=time(22, 0),
        help_text="From this time, in the client's time zone, replies wait.",
    )
    quiet_end = models.TimeField(
        default=time(8, 0),
        help_text="Replies that waited leave after this time. The same time as the start "
        "means no quiet hours.",
    )
    typing_chars_per_minute = models.PositiveIntegerField(
        default=200,
        validators=[MinValueValidator(20), MaxValueValidator(2000)],
        help_text="How fast the typist the delay imitates writes (people type 150 to 300).",
    )
    min_delay_seconds = models.PositiveIntegerField(
        default=20, help_text="The shortest wait before any reply leaves."
    )
    max_delay_seconds = models.PositiveIntegerField(
        default=300, help_text="The longest typing wait, however long the reply."
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "send pace"

    def __str__(self) -> str:
        return f"quiet {self.quiet_start:%H:%M}-{self.quiet_end:%H:%M}"

    def clean(self):
        if self.min_delay_seconds > self.max_delay_seconds:
            raise ValidationError(
                {"max_delay_seconds": "The longest wait must be at least the shortest."}
            )


class DraftJob(models.Model):
    """A batch of threads to draft or re-draft, run by the worker against an engine."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        WAITING_FOR_ENGINE = "waiting_for_engine", "Waiting for the engine"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    LIVE = (Status.QUEUED, Status.WAITING_FOR_ENGINE, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # {"thread_ids": [...]} or {"filter": {"status": ..., "template_key": ..., ...}}
    scope = models.JSONField()
    engine_id = models.CharField(
        max_length=MAX_ENGINE_ID_LENGTH, blank=True, help_text="Blank: the active engine."
    )
    workflow_version = models.ForeignKey(
        WorkflowVersion, null=True, blank=True, related_name="jobs", on_delete=models.PROTECT
    )
    status = models.CharField(
        max_length=24, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"job {self.id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE


class DraftJobItemQuerySet(models.QuerySet):
    def moving_to(self, engine_id: str) -> "DraftJobItemQuerySet":
        """Live work that follows the active engine when it becomes ``engine_id``: not
        started yet (queued or waiting), on no experiment arm (an arm keeps its engine),
        and on another engine now."""
        return self.filter(
            job__isnull=True,
            status__in=[DraftJobItem.Status.QUEUED, DraftJobItem.Status.WAITING],
            decision__experiment_arm="",
        ).exclude(engine_id=engine_id)


class DraftJobItem(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        WAITING = "waiting", "Waiting for the engine"
        RUNNING = "running", "Running"
        DRAFTED = "drafted", "Drafted"
        HELD = "held", "Held"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    PENDING = (Status.QUEUED, Status.WAITING, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # None for live work: one inbound message's queued draft (see ``is_live``).
    job = models.ForeignKey(
        DraftJob, null=True, blank=True, related_name="items", on_delete=models.CASCADE
    )
    thread = models.ForeignKey(Thread, related_name="job_items", on_delete=models.CASCADE)
    decision = models.ForeignKey(Decision, related_name="job_items", on_delete=models.CASCADE)
    engine_id = models.CharField(max_length=MAX_ENGINE_ID_LENGTH, db_index=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # When the work arrived (enqueued_at moves on with each re-enqueue): the GPU policy's
    # arrival history and the live wait limit read it.
    created_at = models.DateTimeField(default=now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DraftJobItemQuerySet.as_manager()

    class Meta:
        ordering = ["job", "thread__handle"]
        constraints = [
            models.UniqueConstraint(fields=["job", "thread"], name="one_item_per_thread_per_job")
        ]
        indexes = [models.Index(fields=["engine_id", "status", "enqueued_at"])]

    def __str__(self) -> str:
        return f"item {self.id} ({self.status})"

    @property
    def lane(self) -> "Lane":
        return Lane.BATCH if self.job_id else Lane.LIVE


class Lane(models.TextChoices):
    """Live work (an inbound message waiting for its reply) goes before batch work (jobs)."""

    LIVE = "live", "Live messages"
    BATCH = "batch", "Drafting jobs"


class WorkflowPreviewRun(models.Model):
    """One run of a workflow version's chain on the model for the preview page.

    The request writes it ``queued`` and the worker runs it: no model call happens inside
    an HTTP request, and the result lives here (every web process polls the same row).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    FINISHED = (Status.DONE, Status.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(
        WorkflowVersion, related_name="preview_runs", on_delete=models.CASCADE
    )
    thread = models.ForeignKey(Thread, related_name="preview_runs", on_delete=models.CASCADE)
    # The decision whose reply is previewed: a message arriving meanwhile changes nothing.
    decision = models.ForeignKey(Decision, related_name="preview_runs", on_delete=models.CASCADE)
    engine_id = models.CharField(max_length=MAX_ENGINE_ID_LENGTH)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # Per step, as Draft.steps: kind, prompt messages, output, tokens in/out, latency.
    steps = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"preview run {self.id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class PlaygroundRun(models.Model):
    """Any text through classify, decide, Gate-2 and the draft engine, on the worker.

    No thread, decision or draft is made: nothing here has a path to the bridge, so
    nothing the playground writes can be sent.
    """

    Status = WorkflowPreviewRun.Status
    FINISHED = WorkflowPreviewRun.FINISHED

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    text = models.TextField()
    # The situation the text is read in, as if a thread were in it.
    thread_state = models.CharField(
        max_length=16, choices=ThreadState.choices, default=ThreadState.NEW
    )
    archetype = models.CharField(
        max_length=32, choices=Archetype.choices, default=Archetype.NEW_CONTACT
    )
    engine_id = models.CharField(max_length=MAX_ENGINE_ID_LENGTH)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # Each stage as the pipeline saw it: {"stage": "classify", ...}; see jobs/playground.py.
    stages = models.JSONField(default=list, blank=True)
    body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"playground run {self.id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class Outcome(models.TextChoices):
    """How a thread ended, as the panel, the API (bridge or CRM) or the no-reply sweep says."""

    BOOKED = "booked", "Booked"
    DECLINED = "declined", "Declined"
    NO_REPLY = "no_reply", "No reply"
    BLOCKED = "blocked", "Blocked"


# The thread state each outcome moves a thread to: booked is its own state, the others
# end the conversation.
STATE_AFTER_OUTCOME = {
    Outcome.BOOKED: ThreadState.BOOKED,
    Outcome.DECLINED: ThreadState.CLOSED,
    Outcome.NO_REPLY: ThreadState.CLOSED,
    Outcome.BLOCKED: ThreadState.CLOSED,
}


class ThreadOutcome(models.Model):
    """One recorded outcome of a thread; the latest is the thread's. Attributed to every
    draft sent in the thread before it (``OutcomeAttribution``)."""

    class Source(models.TextChoices):
        PANEL = "panel", "The thread page"
        API = "api", "The API"
        SWEEP = "sweep", "The no-reply sweep"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    thread = models.ForeignKey(Thread, related_name="outcomes", on_delete=models.PROTECT)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    recorded_at = models.DateTimeField(default=now, db_index=True)
    drafts = models.ManyToManyField(Draft, through="OutcomeAttribution", related_name="outcomes")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["thread", "-recorded_at"], name="outcome_thread_latest")]

    def __str__(self) -> str:
        return f"{self.outcome} ({self.thread_id})"


class OutcomeAttribution(models.Model):
    """A sent draft an outcome followed, with what produced the draft copied at the time
    (workflow version, engine build, experiment arm), as corrections copy them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    outcome = models.ForeignKey(
        ThreadOutcome, related_name="attributions", on_delete=models.PROTECT
    )
    draft = models.ForeignKey(Draft, related_name="attributions", on_delete=models.PROTECT)
    workflow_version = models.ForeignKey(
        WorkflowVersion,
        null=True,
        blank=True,
        related_name="outcome_attributions",
        on_delete=models.PROTECT,
    )
    engine_id = models.CharField(max_length=MAX_ENGINE_ID_LENGTH)
    experiment_arm = models.CharField(max_length=120, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["outcome", "draft"], name="attribution_once")
        ]

    def __str__(self) -> str:
        return f"{self.outcome_id} <- draft {self.draft_id}"


# Webhooks for integrators: their own module, tables of this app.
from prospects.events.models import EventName, WebhookDelivery, WebhookSubscription  # noqa: E402, F401
