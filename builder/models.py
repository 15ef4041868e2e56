import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

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
    engine = models.CharField(max_length=120)
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
                .values("status", "definition", "pinned_snippets", "engine", "name", "priority")
                .first()
            )
            if stored and stored["status"] != self.Status.DRAFT:
                frozen = ("definition", "pinned_snippets", "engine", "name", "priority")
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
        return f"{self.workflow.slug}@{self.number}"

    @property
    def applies_to(self) -> dict:
        return self.definition.get("appliesTo", {})
