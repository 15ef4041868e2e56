import math
import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from engines.billing import DEFAULT_RULE, rule_errors
from engines.ids import MAX_ENGINE_ID_LENGTH


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
    """A JSON object of size slug -> rule, each rule as ``engines/billing.py`` reads it."""
    if not isinstance(value, dict):
        raise ValidationError(
            'Must be an object of size slug -> rule, e.g. {"gpu-h100x1-80gb": '
            '{"rule": "per_started_hour"}}.'
        )
    errors = [f"{slug}: {error}" for slug, rule in value.items() for error in rule_errors(rule)]
    if errors:
        raise ValidationError(errors)


# DigitalOcean's datacenter slugs (https://docs.digitalocean.com/platform/regional-availability/):
# a placement names one of these.
REGIONS = (
    "nyc1", "nyc2", "nyc3", "sfo1", "sfo2", "sfo3", "ams2", "ams3", "sgp1", "lon1",
    "fra1", "tor1", "blr1", "syd1", "atl1", "ric1",
)  # fmt: skip
_SIZE_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def default_placements() -> list[dict]:
    """A new install rents the environment's size in its home region, and nothing else."""
    return [{"size_slug": settings.DO_GPU_SIZE, "region": settings.DO_REGION}]


def placement_problems(value) -> list[str]:
    """Why ``value`` is not an ordered list of placements (size slug, region), each once and
    at least one, in the words the GPU page shows by the row; empty when it is one."""
    if not isinstance(value, list) or not value:
        return ["List at least one placement: a size slug and a region to rent it in."]
    problems, seen = [], {}
    for number, placement in enumerate(value, 1):
        if not isinstance(placement, dict):
            problems.append(f"Row {number}: not a size slug and a region.")
            continue
        slug, region = placement.get("size_slug"), placement.get("region")
        if not isinstance(slug, str) or not _SIZE_SLUG.fullmatch(slug):
            problems.append(f"Row {number}: {slug!r} is not a DigitalOcean size slug.")
        if region not in REGIONS:
            problems.append(
                f"Row {number}: {region!r} is not a DigitalOcean region ({', '.join(REGIONS)})."
            )
        if (slug, region) in seen:
            problems.append(f"Row {number}: row {seen[slug, region]} has this size and region.")
        seen.setdefault((slug, region), number)
    return problems


def validate_placements(value) -> None:
    if problems := placement_problems(value):
        raise ValidationError(problems)


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
    # The placement it was rented in; set with the size before each create is asked for.
    region = models.CharField(max_length=16, blank=True)
    # The placements passed over before this one, in order, each with why (no capacity, no
    # hourly price, the weights volume in another region): {"size_slug", "region", "reason"}.
    placements_passed = models.JSONField(default=list, blank=True)
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
    # The droplet's own credentials (engines/gpu/droplet_access.py), made at provision time.
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
    placements = models.JSONField(
        default=default_placements,
        validators=[validate_placements],
        help_text="Where a machine is rented, tried in order while DigitalOcean has no "
        'capacity: e.g. [{"size_slug": "gpu-h100x1-80gb", "region": "nyc2"}].',
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
