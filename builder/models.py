from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class CanonEntry(models.Model):
    """The owner's approved text for a template key: rendered by the template engine."""

    template_key = models.CharField(max_length=100, unique=True)
    text = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["template_key"]
        verbose_name_plural = "canon entries"

    def __str__(self) -> str:
        return self.template_key
