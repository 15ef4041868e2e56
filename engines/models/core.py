from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from engines.dialect import Dialect
from engines.heads import Head
from engines.ids import MAX_ENGINE_ID_LENGTH, Provider, parse_engine_id, validate_engine_id

MAX_CONCURRENCY_LIMIT = 1024


class AdapterHead(models.TextChoices):
    VOICE = Head.VOICE.value, "Voice (drafter)"
    CLASSIFIER = Head.CLASSIFIER.value, "Classifier head"


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
    # How a do-gpu machine serves this build (see deploy/gpu/): weights and LoRA heads.
    model_path = models.CharField(
        max_length=300, blank=True, help_text="For 'do-gpu' builds: the weights on the volume."
    )
    lora_modules = models.JSONField(
        default=dict, blank=True, help_text='LoRA heads served beside it: {"name": "path"}.'
    )
    lora_ranks = models.JSONField(
        default=dict,
        blank=True,
        help_text="Each LoRA head's rank, {\"name\": 16}: the server's --max-lora-rank fits the "
        "largest (16 when none is known).",
    )
    adapter = models.CharField(
        max_length=200,
        blank=True,
        help_text="The LoRA head this build's requests name (one of lora_modules); blank: "
        "the served model itself.",
    )
    head = models.CharField(
        max_length=16,
        choices=AdapterHead.choices,
        default=AdapterHead.VOICE,
        help_text="What the build does: draft replies (voice) or decide moves (classifier).",
    )
    max_concurrency = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CONCURRENCY_LIMIT)],
        help_text="Model calls the worker keeps in flight against this build; blank: the "
        "default for its kind (vLLM on a do-gpu machine batches many sequences at once).",
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

    @property
    def concurrency(self) -> int:
        return self.max_concurrency or default_concurrency(self.engine_id)


class MoveHeadArtefact(models.Model):
    """The fitted head of an in-process classifier build (``local-moves-linear_…``): kept in
    the database every web and worker process reads, so a build promoted anywhere is
    loadable everywhere, with no shared disk and no restart. Written once with its build;
    a retrain is a new build."""

    build = models.OneToOneField(
        EngineBuild, on_delete=models.PROTECT, related_name="move_head", primary_key=True
    )
    artefact = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    library = models.CharField(max_length=60, help_text="What fitted it, e.g. scikit-learn 1.9.1.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.build_id} ({len(self.artefact)} bytes)"


def default_concurrency(engine_id: str) -> int:
    """vLLM (what a do-gpu machine runs) batches dozens of sequences at once; an endpoint
    may be anything, so it gets ENGINE_CONCURRENCY."""
    if parse_engine_id(engine_id).provider == Provider.DO_GPU:
        return settings.VLLM_MAX_CONCURRENCY
    return settings.ENGINE_CONCURRENCY


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
        indexes = [
            models.Index(fields=["endpoint", "-started_at"]),
            # /metrics reads the last hour of calls across endpoints.
            models.Index(fields=["-started_at"], name="model_call_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.outcome} {self.started_at:%H:%M:%S}"
