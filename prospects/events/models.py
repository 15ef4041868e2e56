"""Webhook subscriptions of integrators and each delivery of an event to one of them.

Imported by ``prospects.models``, so the tables belong to the ``prospects`` app."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models


class EventName(models.TextChoices):
    """What integrators may subscribe to. The names are part of the API: never rename one."""

    DRAFT_READY = "draft.ready", "A draft is ready for review"
    DRAFT_HELD = "draft.held", "A draft was held"
    DRAFT_SENT = "draft.sent", "A draft was sent"
    THREAD_OUTCOME = "thread.outcome", "A thread's outcome was recorded"


class WebhookSubscription(models.Model):
    """An integrator's endpoint and the events it receives. Deactivated, not deleted: its
    deliveries stay in the log."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.URLField(max_length=500, validators=[URLValidator(schemes=["https", "http"])])
    # Event names (``EventName``); a JSON list, as the demo runs on SQLite too.
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        unknown = sorted(set(self.events) - set(EventName.values))
        if not self.events:
            raise ValidationError({"events": "Choose at least one event."})
        if unknown:
            raise ValidationError({"events": f"Unknown events: {', '.join(unknown)}."})


class WebhookDelivery(models.Model):
    """One event for one subscription: written with the event, posted after the commit,
    tried again with a growing pause until delivered or ``WEBHOOK_MAX_ATTEMPTS``."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed, will try again"
        GAVE_UP = "gave_up", "Gave up"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription, related_name="deliveries", on_delete=models.PROTECT
    )
    event = models.CharField(max_length=32, choices=EventName.choices)
    payload = models.JSONField()
    # Sent as Idempotency-Key, the same on every attempt: a receiver takes an event once.
    idempotency_key = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    # Set by the one worker posting it; a claim older than the post's timeout is stale.
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The sweeper's look-up: deliveries still to try, by when.
            models.Index(
                fields=["next_try_at"],
                name="webhook_delivery_due",
                condition=models.Q(status__in=["pending", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.subscription_id}: {self.status}"
