import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from engines.ids import MAX_ENGINE_ID_LENGTH

# Also in workflow.schema.json's snippet reference pattern.
SNIPPET_KEY_PATTERN = r"^[A-Za-z0-9_.\-]+$"


class Snippet(models.Model):
    """A named piece of context: canon for a template key, a voice rule or a safety rule.

    The text lives in immutable ``SnippetVersion`` rows; editing adds a version, so the
    history is complete and a published workflow can pin the exact text it used.
    """

    class Kind(models.TextChoices):
        CANON = "canon", "Canon"
        VOICE = "voice", "Voice rule"
        SAFETY = "safety", "Safety rule"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # For canon, the key is the template key.
    key = models.CharField(
        max_length=100,
        validators=[
            RegexValidator(SNIPPET_KEY_PATTERN, "Use letters, digits, '.', '_' and '-' only.")
        ],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "key"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="unique_snippet")]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        """How definitions refer to a snippet: ``kind:key``."""
        return f"{self.kind}:{self.key}"


class SnippetVersion(models.Model):
    snippet = models.ForeignKey(Snippet, related_name="versions", on_delete=models.CASCADE)
    number = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["snippet", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["snippet", "number"], name="unique_snippet_version")
        ]

    def __str__(self) -> str:
        return f"{self.snippet.ref}@{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("A snippet version is immutable; add a new version instead.")
        super().save(*args, **kwargs)


class Workflow(models.Model):
    """A workflow's stable identity; its content lives in numbered versions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=100, unique=True)
    live_version = models.ForeignKey(
        "WorkflowVersion",
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Which version was live when: every move of live_version is a row here.
    history = HistoricalRecords()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class WorkflowVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workflow = models.ForeignKey(Workflow, related_name="versions", on_delete=models.PROTECT)
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # The definition in the shape of builder/workflow.schema.json (name, appliesTo, ...).
    definition = models.JSONField()
    # Denormalised from the definition for filtering and resolution.
    name = models.CharField(max_length=200)
    priority = models.IntegerField(default=0)
    # Snippet versions pinned at publish: {"kind:key": number}.
    pinned_snippets = models.JSONField(default=dict, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    publish_note = models.TextField(blank=True)

    class Meta:
        ordering = ["workflow", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["workflow", "number"], name="unique_workflow_version")
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        """A published version is immutable; only archiving it is allowed."""
        if self.pk is not None:
            stored = (
                WorkflowVersion.objects.filter(pk=self.pk)
                .values("status", "definition", "pinned_snippets", "name", "priority")
                .first()
            )
            if stored and stored["status"] != self.Status.DRAFT:
                frozen = ("definition", "pinned_snippets", "name", "priority")
                if any(stored[field] != getattr(self, field) for field in frozen):
                    raise ValidationError(
                        f"{self.label} is {stored['status']} and immutable; edit a new version."
                    )
                if self.status == self.Status.DRAFT:
                    raise ValidationError(f"{self.label} cannot go back to draft.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status != self.Status.DRAFT:
            raise ValidationError(f"{self.label} is {self.status}; archive it instead.")
        return super().delete(*args, **kwargs)

    @property
    def label(self) -> str:
        return self.label_of(self.workflow.slug, self.number)

    @staticmethod
    def label_of(slug: str, number: int) -> str:
        return f"{slug}@{number}"

    @property
    def applies_to(self) -> dict:
        return self.definition.get("appliesTo", {})


class Metric(models.TextChoices):
    """What an experiment optimises. Lower is better unless ``HIGHER_IS_BETTER`` says so."""

    ACCEPTED_UNEDITED = "accepted_unedited", "Accepted without edit"
    EDIT_DISTANCE = "edit_distance", "Edit distance"
    HOLD_RATE = "hold_rate", "Hold rate"
    LATENCY = "latency", "Latency (ms)"
    COST = "cost", "Cost per draft (USD)"
    # Of the arm's threads with a sent reply, the share whose outcome was a booking.
    BOOKED = "booked", "Booked"


HIGHER_IS_BETTER = {Metric.ACCEPTED_UNEDITED: True, Metric.BOOKED: True}
PROPORTION_METRICS = {Metric.ACCEPTED_UNEDITED, Metric.HOLD_RATE, Metric.BOOKED}


class Experiment(models.Model):
    """An A/B test of (workflow version, engine id) arms on live traffic within a scope.

    The scope lists template keys, archetypes and states; an empty list means "any".
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        FINISHED = "finished", "Finished"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Short, so "slug:arm" fits the arm label recorded on decisions and drafts.
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    template_keys = models.JSONField(default=list, blank=True)
    archetypes = models.JSONField(default=list, blank=True)
    states = models.JSONField(default=list, blank=True)
    metric = models.CharField(
        max_length=32, choices=Metric.choices, default=Metric.ACCEPTED_UNEDITED
    )
    min_sample = models.PositiveIntegerField(default=100)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    status_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Set by promotion: the arm that became champion and what it replaced (for rollback).
    champion = models.ForeignKey(
        "ExperimentArm", null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    previous_live_version = models.ForeignKey(
        WorkflowVersion, null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    previous_engine_id = models.CharField(max_length=MAX_ENGINE_ID_LENGTH, blank=True)
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.slug

    @property
    def higher_is_better(self) -> bool:
        return HIGHER_IS_BETTER.get(self.metric, False)


class ExperimentArm(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    experiment = models.ForeignKey(Experiment, related_name="arms", on_delete=models.CASCADE)
    key = models.SlugField(max_length=20)
    workflow_version = models.ForeignKey(
        WorkflowVersion, related_name="experiment_arms", on_delete=models.PROTECT
    )
    engine_id = models.CharField(max_length=MAX_ENGINE_ID_LENGTH)
    weight = models.PositiveIntegerField(default=1)
    is_control = models.BooleanField(default=False)
    # Set when the guardrail (or an operator) takes the arm out of assignment.
    paused_reason = models.CharField(max_length=300, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["experiment", "-is_control", "key"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "key"], name="unique_experiment_arm")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """What decisions and drafts record as their ``experiment_arm``."""
        return f"{self.experiment.slug}:{self.key}"

    @property
    def active(self) -> bool:
        return self.paused_at is None
