from django.db import models
from simple_history.models import HistoricalRecords

from engines.ids import MAX_ENGINE_ID_LENGTH, parse_engine_id, validate_engine_id


class EngineBuild(models.Model):
    """A known model build: the registry an engine id must be in before it can be active."""

    engine_id = models.CharField(
        max_length=MAX_ENGINE_ID_LENGTH, unique=True, validators=[validate_engine_id]
    )
    description = models.CharField(max_length=300, blank=True)
    endpoint_url = models.URLField(
        blank=True, help_text="For 'endpoint' builds: the OpenAI-compatible base URL."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["engine_id"]

    def __str__(self) -> str:
        return self.engine_id

    @property
    def parsed(self):
        return parse_engine_id(self.engine_id)
