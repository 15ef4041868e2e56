import uuid

from django.conf import settings
from django.db import models, transaction
from simple_history.models import HistoricalRecords

from core.clock import now
from core.history import history_record_update
from engines.ids import MAX_ENGINE_ID_LENGTH, validate_engine_id
from engines.models.core import AdapterHead, EngineBuild


class RunStatus(models.TextChoices):
    """Of a training run and of an evaluation: queued, claimed once, then one outcome."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RunRecord(models.Model):
    """What a training run and an evaluation share: a status claimed once, its reason, who
    asked and when it started and ended."""

    Status = RunStatus
    Head = AdapterHead

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    status_detail = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)

    @classmethod
    def finish(cls, pk, status: str, detail: str = "", **fields) -> bool:
        """Ends the record once: from queued or running only, so a late or repeated end
        (a retried report, the sweep after a slow finish) changes nothing."""
        return bool(
            cls.objects.filter(id=pk, status__in=cls.ACTIVE).update(
                status=status, status_detail=detail, finished_at=now(), **fields
            )
        )


class TrainingRun(RunRecord):
    """One LoRA training run: the exact data it saw, how, what it produced, and the build
    it registered. The snapshot is stored whole, so a run can be repeated and audited."""

    class Placement(models.TextChoices):
        WORKER = "worker", "On the worker (CPU)"
        GPU = "gpu", "On a training droplet (GPU)"

    head = models.CharField(max_length=16, choices=AdapterHead.choices, default=AdapterHead.VOICE)
    placement = models.CharField(max_length=8, choices=Placement.choices, default=Placement.WORKER)
    base_model = models.CharField(max_length=300, help_text="The base weights' folder.")
    parent_engine_id = models.CharField(
        max_length=MAX_ENGINE_ID_LENGTH, help_text="The build the new one descends from."
    )
    source_engine_ids = models.JSONField(
        default=list, help_text="The builds whose corrections are the training data."
    )
    new_engine_id = models.CharField(
        max_length=MAX_ENGINE_ID_LENGTH, unique=True, validators=[validate_engine_id]
    )
    snapshot = models.TextField(help_text="The exact SFT lines trained on, one per line.")
    data_sha256 = models.CharField(max_length=64)
    data_lines = models.PositiveIntegerField()
    hyper_parameters = models.JSONField(default=dict)
    device = models.CharField(max_length=16, blank=True)
    log = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    adapter_dir = models.CharField(max_length=500, blank=True)
    build = models.OneToOneField(
        EngineBuild,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="training_run",
    )
    # The snapshot never changes after the run is made, and the log grows a line at a
    # time: copying either into every status change would only repeat them.
    history = HistoricalRecords(excluded_fields=["snapshot", "log"])

    def __str__(self) -> str:
        return f"{self.new_engine_id} ({self.status})"

    @classmethod
    def finish(cls, pk, status: str, detail: str = "", **fields) -> bool:
        """As ``RunRecord.finish``, with the end in the run's history."""
        with transaction.atomic():
            finished = super().finish(pk, status, detail, **fields)
            if finished:
                history_record_update(cls, pk, reason=f"finished: {status}")
        return finished

    @classmethod
    def start(cls, pk, *, placement: str, device: str) -> bool:
        """Claims a queued run once, for the worker or a training machine."""
        with transaction.atomic():
            started = cls.objects.filter(
                id=pk, status=cls.Status.QUEUED, placement=placement
            ).update(status=cls.Status.RUNNING, started_at=now(), device=device, status_detail="")
            if started:
                history_record_update(cls, pk, reason="started")
        return bool(started)

    @property
    def train_loss(self) -> float | None:
        return self.metrics.get("train_loss")


class Evaluation(RunRecord):
    """One build scored on a held-out split: the cases it was asked (stored, so two builds
    compare on the same questions) and what it scored."""

    build = models.ForeignKey(EngineBuild, on_delete=models.PROTECT, related_name="evaluations")
    head = models.CharField(max_length=16, choices=AdapterHead.choices)
    split = models.CharField(max_length=16, default="eval")
    cases = models.JSONField(default=list)
    cases_sha256 = models.CharField(max_length=64)
    metrics = models.JSONField(default=dict, blank=True)

    class Meta(RunRecord.Meta):
        indexes = [models.Index(fields=["build", "head", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.build_id} {self.head} ({self.status})"


class PromotionPolicy(models.Model):
    """The metrics a build must not be worse on than the champion before it may replace
    it, each with the margin it is allowed ({metric: margin}); one row, with history."""

    SINGLETON_ID = 1

    guards = models.JSONField(default=dict)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return ", ".join(f"{metric} ±{margin}" for metric, margin in self.guards.items())
