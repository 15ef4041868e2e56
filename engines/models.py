import math
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from simple_history.models import HistoricalRecords

from engines.clock import now
from engines.dialect import Dialect
from engines.gpu_billing import DEFAULT_RULE, rule_errors
from engines.history import history_record_update
from engines.ids import MAX_ENGINE_ID_LENGTH, Provider, parse_engine_id, validate_engine_id
from engines.trainer import Head

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


class GpuInstanceQuerySet(models.QuerySet):
    def serving(self):
        """Machines that serve a build (not training machines)."""
        return self.filter(training_run__isnull=True)


def default_billing_rule() -> dict:
    return dict(DEFAULT_RULE)


def price_problem(price) -> str | None:
    """Why ``price`` is not an hourly price in USD (a finite number above zero), or None.
    "3,39" or "nan" must never reach the budget arithmetic: the first breaks every page
    that reads it, the second compares false with every cap and fails open."""
    if isinstance(price, bool) or not isinstance(price, int | float):
        return "must be a number of US dollars an hour, written with a dot, e.g. 3.39"
    if not math.isfinite(price):
        return "must be a finite number"
    if price <= 0:
        return "must be more than 0"
    return None


def validate_hourly_prices(value) -> None:
    """A JSON object of size slug -> USD per hour, each a finite number above zero."""
    if not isinstance(value, dict):
        raise ValidationError(
            'Must be an object of size slug -> US dollars an hour, e.g. {"gpu-h100x1-80gb": 3.39}.'
        )
    errors = [
        f"{slug}: {problem}" for slug, price in value.items() if (problem := price_problem(price))
    ]
    if errors:
        raise ValidationError(errors)


def validate_billing_rules(value) -> None:
    """A JSON object of size slug -> rule, each rule as ``engines/gpu_billing.py`` reads it."""
    if not isinstance(value, dict):
        raise ValidationError(
            'Must be an object of size slug -> rule, e.g. {"gpu-h100x1-80gb": '
            '{"rule": "per_started_hour"}}.'
        )
    errors = [f"{slug}: {error}" for slug, rule in value.items() for error in rule_errors(rule)]
    if errors:
        raise ValidationError(errors)


class GpuInstance(models.Model):
    """One rented GPU machine for one engine build, from the provision request to release.

    The row is written before the provider is asked for anything, and it names the
    machine by a tag derived from its id, so a crash at any step leaves a trail the next
    tick follows (adopt, destroy) instead of a second machine or a leaked one.
    """

    class State(models.TextChoices):
        OFF = "off", "Off"
        PROVISIONING = "provisioning", "Provisioning"
        BOOTING = "booting", "Booting the model server"
        READY = "ready", "Ready"
        RELEASING = "releasing", "Releasing"
        FAILED = "failed", "Failed"

    # A machine may exist (and bill) in these states.
    LIVE = (State.PROVISIONING, State.BOOTING, State.READY, State.RELEASING)
    # Written with the move to any other state: the key is dead once the droplet is.
    CREDENTIALS_WIPED = {"api_key_sealed": "", "tls_private_key_sealed": ""}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    engine_id = models.CharField(max_length=MAX_ENGINE_ID_LENGTH, db_index=True)
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PROVISIONING, db_index=True
    )
    droplet_id = models.BigIntegerField(null=True, blank=True)
    endpoint_url = models.URLField(blank=True)
    size_slug = models.CharField(max_length=64)
    hourly_price = models.DecimalField(max_digits=8, decimal_places=4)
    # The size's billing rule when it was rented: the cost ledger bills by it.
    billing_rule = models.JSONField(default=default_billing_rule)
    created_at = models.DateTimeField(auto_now_add=True)
    # Billing runs from the provider's create until its destroy is confirmed.
    billed_from = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    billed_until = models.DateTimeField(null=True, blank=True)
    state_changed_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    # The LoRA heads its server loads (the build's own and its companions', e.g. the live
    # classifier's): a companion build is served wherever one of these is ready.
    adapters = models.JSONField(default=list, blank=True)
    # The droplet's own credentials (engines/droplet_access.py), made at provision time.
    # Sealed: the API key, until the instance ends, and the certificate's private key, until
    # the droplet has fetched it at boot (the user data carries neither, only a one-time
    # token). The certificate is public; empty when the droplet is reached inside the VPC.
    api_key_sealed = models.TextField(blank=True, editable=False)
    tls_certificate = models.TextField(blank=True, editable=False)
    tls_private_key_sealed = models.TextField(blank=True, editable=False)
    # When the droplet fetched its credentials: set once, and the token is spent from then.
    credentials_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set for a training machine: booted from the training image for this run, released
    # when it ends. Serving plans leave these alone.
    training_run = models.ForeignKey(
        "TrainingRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gpu_instances",
    )

    objects = GpuInstanceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.engine_id} {self.state}"

    @property
    def tag(self) -> str:
        return f"prospector-instance:{self.id}"

    @property
    def is_live(self) -> bool:
        return self.state in self.LIVE


class GpuTransition(models.Model):
    """Every state change of an instance, with why: the timeline and the cost ledger."""

    instance = models.ForeignKey(GpuInstance, related_name="transitions", on_delete=models.CASCADE)
    from_state = models.CharField(max_length=16, choices=GpuInstance.State.choices)
    to_state = models.CharField(max_length=16, choices=GpuInstance.State.choices)
    reason = models.CharField(max_length=40)
    detail = models.TextField(blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_state} -> {self.to_state} ({self.reason})"


class GpuPolicySettings(models.Model):
    """The singleton row of GPU policy knobs an admin edits; every edit is in its history."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    idle_grace_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=(
            "Blank: adaptive, the grace that would have cost least over the recent idle "
            "gaps, the GPU bill and the leads' waiting together."
        ),
    )
    deep_backlog_items = models.PositiveIntegerField(
        default=50, help_text="A backlog this deep may scale out to more instances."
    )
    max_instances = models.PositiveSmallIntegerField(
        default=1, help_text="Per build; more only while draining would outlast a boot."
    )
    boot_timeout_seconds = models.PositiveIntegerField(default=900)
    max_lifetime_seconds = models.PositiveIntegerField(default=12 * 3600)
    daily_budget_usd = models.DecimalField(max_digits=10, decimal_places=2, default=100)
    hourly_prices = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_hourly_prices],
        help_text='USD per hour by size slug, e.g. {"gpu-h100x1-80gb": 3.39}.',
    )
    billing_rules = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_billing_rules],
        help_text="How each size slug is billed; unlisted: per second, 60 s minimum "
        '(DigitalOcean). E.g. {"gpu-h100x1-80gb": {"rule": "per_started_hour"}} or '
        '{"rule": "per_second", "minimum_seconds": 60}.',
    )
    drain_items_per_second = models.FloatField(
        default=0.5,
        help_text=(
            "One instance's drafting rate: for the scale-out estimate, and how long a queue "
            "a cold start delays."
        ),
    )
    # This install's identity on the provider: its droplets' tag derives from it, so the
    # reconciler never mistakes another install's droplet (or anyone's) for an orphan.
    install_id = models.UUIDField(default=uuid.uuid4, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "GPU policy settings"

    def __str__(self) -> str:
        return "GPU policy"

    def billing_rule(self, size_slug: str) -> dict:
        return self.billing_rules.get(size_slug, default_billing_rule())


class GpuOperatorAction(models.Model):
    """An admin's "hold warm for N minutes" or "release now", kept as history."""

    class Kind(models.TextChoices):
        HOLD_WARM = "hold_warm", "Hold warm"
        RELEASE_NOW = "release_now", "Release now"

    engine_id = models.CharField(max_length=MAX_ENGINE_ID_LENGTH, db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    until = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.engine_id}"


class GpuTickLease(models.Model):
    """Who runs the lifecycle tick now: taken with a conditional update, so across processes
    and machines one tick acts at a time, and a crashed holder's lease simply expires."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    holder = models.UUIDField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"lease held by {self.holder} until {self.expires_at}"


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
