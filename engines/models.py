from django.db import models
from simple_history.models import HistoricalRecords

from engines.dialect import Dialect
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
    served_model = models.CharField(
        max_length=200, blank=True, help_text="The generator's served name; GPU_LLM_MODEL if blank."
    )
    json_dialect = models.CharField(
        max_length=16,
        choices=Dialect.choices,
        blank=True,
        help_text="How the endpoint takes a JSON Schema; GPU_JSON_DIALECT if blank.",
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


class ModelCall(models.Model):
    """One request to a model endpoint: the activity clock and token meter read these."""

    endpoint = models.CharField(max_length=300)
    task = models.CharField(max_length=40)
    model = models.CharField(max_length=200)
    engine_id = models.CharField(max_length=MAX_ENGINE_ID_LENGTH, blank=True)
    started_at = models.DateTimeField()
    latency_ms = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=20)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["endpoint", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.task} {self.outcome} {self.started_at:%H:%M:%S}"
