"""The on-demand GPU lifecycle: provision on work, hold while busy, release on idle.

One tick (``lifecycle_tick``), run by Celery beat every few seconds and kicked when model
work is enqueued:

1. Take the tick lease with a conditional update. If another process holds it, that
   process is ticking: return at once. A crashed holder's lease expires.
2. Reconcile: list every droplet carrying the install's tag; destroy those that no live
   row accounts for (leaks) and that carry our name prefix (a droplet someone else tagged
   is never ours), and fail rows whose droplet is gone (deleted behind our back).
3. Advance each live instance one step: ``provisioning`` finds its droplet by tag before
   creating one (so a crash between create and save never makes a second), ``booting``
   waits for the droplet and then for the model server, ``releasing`` destroys. A boot
   past the timeout is released as failed.
4. Plan each build with ``engines.gpu.policy`` from the backlog and arrivals the caller
   hands in and the activity the inference client recorded, then apply the plan: a
   provision is a row written before any provider call; a release is a state change
   written before the destroy.
5. Give the lease back.

Every state change is a conditional update from the state the tick saw, with its
``GpuTransition`` row in the same transaction: the timeline and the cost ledger.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q

from core.clock import now
from engines.billing import billing_for
from engines.dialect import Dialect
from engines.gpu import policy as gpu_policy
from engines.gpu.costs import spent_between, today_start
from engines.gpu.deploy import (
    ServeConfig,
    adapter_dir_on_volume,
    max_lora_rank,
    render_training_user_data,
    render_user_data,
    weights_mount,
)
from engines.gpu.droplet_access import credentials_handover, droplet_credentials_make
from engines.gpu.placements import (
    create_in_a_placement,
    describe_passed,
    first_placement,
    placement_blocker,
    planning_size,
)
from engines.gpu.policy import Reason
from engines.gpu.providers import GpuProvider, Machine, ProviderError, provider_for
from engines.gpu.transitions import instance_transition
from engines.ids import Provider, parse_engine_id
from engines.models import EngineBuild, ModelCall
from engines.models.gpu import (
    GpuInstance,
    GpuOperatorAction,
    GpuPolicySettings,
    GpuTickLease,
    GpuTransition,
)
from engines.models.training import RunStatus, TrainingRun
from engines.registry import client_for, instance_endpoint

logger = logging.getLogger(__name__)
State = GpuInstance.State
# A release for one of these reasons ends in ``failed`` instead of ``off``.
FAILURE_REASONS = {Reason.BOOT_TIMEOUT, Reason.VANISHED, Reason.PROVIDER_ERROR}


@dataclass(frozen=True)
class BuildLoad:
    """The work waiting for one build, as the jobs see it (handed down as plain data)."""

    items: int = 0  # live and batch together: the policy treats all work alike
    live_items: int = 0  # of which live messages, for the panel
    oldest_age_seconds: float = 0.0
    arrivals: tuple[datetime, ...] = ()


@dataclass
class TickReport:
    provisioned: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    orphans_destroyed: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Provisions the tick held back, and why (build or training run -> reason).
    waiting: dict[str, str] = field(default_factory=dict)


def policy_settings() -> GpuPolicySettings:
    return GpuPolicySettings.objects.get_or_create(
        id=GpuPolicySettings.SINGLETON_ID,
        defaults={"hourly_prices": dict(settings.GPU_HOURLY_PRICES)},
    )[0]


# 1. The lease -------------------------------------------------------------------------


def _lease_take() -> uuid.UUID | None:
    holder, moment = uuid.uuid4(), now()
    GpuTickLease.objects.get_or_create(id=1)
    taken = (
        GpuTickLease.objects.filter(id=1)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__lt=moment))
        .update(
            holder=holder, expires_at=moment + timedelta(seconds=settings.GPU_TICK_LEASE_SECONDS)
        )
    )
    return holder if taken == 1 else None


def _lease_give_back(holder: uuid.UUID) -> None:
    GpuTickLease.objects.filter(id=1, holder=holder).update(holder=None, expires_at=None)


def lifecycle_tick(
    *, loads: dict[str, BuildLoad], companions: tuple[str, ...] = ()
) -> TickReport | None:
    """One tick over every do-gpu build; None when another tick holds the lease.

    ``companions`` are builds served beside whichever build a machine boots for, when
    they share its weights (the live classifier's LoRA head rides on the drafter's GPU)."""
    holder = _lease_take()
    if holder is None:
        return None
    report = TickReport()
    try:
        provider = provider_for(Provider.DO_GPU)
        if provider is None:
            return report
        machines = _reconcile(provider, report)
        for instance in GpuInstance.objects.filter(state__in=GpuInstance.LIVE):
            _advance(instance, provider, machines, report, companions)
        for engine_id in _managed_builds(loads):
            plan = plan_build(engine_id, loads.get(engine_id, BuildLoad()))
            _apply(engine_id, plan, provider, machines, report, companions)
        _train(provider, machines, report)
    finally:
        _lease_give_back(holder)
    return report


# 2. Reconcile -------------------------------------------------------------------------


def _reconcile(provider: GpuProvider, report: TickReport) -> dict[int, Machine] | None:
    """Destroys tagged droplets no live row accounts for; returns the rest by id, or None
    when the provider could not be listed (then nothing is judged vanished this tick)."""
    try:
        tagged = provider.list_tagged(install_tag())
    except ProviderError as error:
        report.errors.append(f"list droplets: {error}")
        return None
    live = GpuInstance.objects.filter(state__in=GpuInstance.LIVE)
    known_ids = {instance.droplet_id for instance in live if instance.droplet_id}
    pending_tags = {instance.tag for instance in live if not instance.droplet_id}
    machines = {}
    for machine in tagged:
        if machine.handle in known_ids or pending_tags & set(machine.tags):
            machines[machine.handle] = machine
            continue
        if not machine.name.startswith(DROPLET_NAME_PREFIX):
            # Our tag but not our name: someone else's droplet, tagged by hand. Never ours
            # to destroy.
            continue
        try:
            provider.destroy(machine.handle)
            report.orphans_destroyed.append(machine.handle)
            logger.warning("destroyed orphan droplet %s (%s)", machine.handle, machine.name)
        except ProviderError as error:
            report.errors.append(f"destroy orphan {machine.handle}: {error}")
    return machines


# 3. Advance each instance -------------------------------------------------------------


def _advance(instance, provider, machines, report, companions=()) -> None:
    """One step for one instance; a release decided on the way is carried out at once."""
    try:
        if instance.state == State.PROVISIONING:
            _step_provisioning(instance, provider, machines, companions)
        elif instance.state == State.BOOTING:
            _step_booting(instance, provider, machines)
        elif instance.state == State.READY:
            _current(instance, provider, machines)
    except ProviderError as error:
        # Crash-loop guard: the error is recorded and the next tick tries this step again;
        # only a permanent error gives the instance up.
        _record_error(instance, error, report)
        if error.permanent:
            _release(instance, Reason.PROVIDER_ERROR, str(error))
    if instance.state == State.RELEASING:
        try:
            _step_releasing(instance, provider, report)
        except ProviderError as error:
            _record_error(instance, error, report)


def _record_error(instance: GpuInstance, error: ProviderError, report: TickReport) -> None:
    report.errors.append(f"{instance.engine_id} {instance.state}: {error}")
    GpuInstance.objects.filter(id=instance.id).update(last_error=str(error)[:2000])


def _boot_overdue(instance: GpuInstance) -> bool:
    limit = timedelta(seconds=policy_settings().boot_timeout_seconds)
    return now() - instance.created_at > limit


def _step_provisioning(instance, provider, machines, companions=()) -> None:
    if instance.droplet_id is None:
        training = instance.training_run_id is not None
        machine = provider.find(instance.tag) or create_in_a_placement(
            instance,
            provider,
            policy_settings(),
            name=_droplet_name(instance),
            tags=[install_tag(), _build_tag(instance.engine_id), instance.tag],
            user_data=(
                _training_user_data(instance) if training else _user_data(instance, companions)
            ),
            image=settings.DO_TRAINING_IMAGE if training else settings.DO_GPU_IMAGE,
        )
        # The certificate's private key stays sealed here until the droplet fetches it.
        GpuInstance.objects.filter(id=instance.id).update(
            droplet_id=machine.handle, billed_from=now()
        )
        instance.droplet_id = machine.handle
        if machines is not None:
            machines[machine.handle] = machine
    machine = _current(instance, provider, machines)
    if machine is None:
        return
    if machine.is_running and instance.training_run_id is not None:
        # A training machine serves nothing: running is all there is to wait for.
        instance_transition(
            instance, State.READY, "droplet_active", f"training on droplet {machine.handle}"
        )
    elif machine.is_running and _endpoint_url(instance, machine):
        instance_transition(
            instance,
            State.BOOTING,
            "droplet_active",
            f"droplet {machine.handle} at {machine.address}",
            endpoint_url=_endpoint_url(instance, machine),
        )
    elif _boot_overdue(instance):
        _release(instance, Reason.BOOT_TIMEOUT, f"droplet still '{machine.status}'")


def _endpoint_url(instance: GpuInstance, machine: Machine) -> str:
    """Over TLS to the public address when the droplet was given a certificate; else over
    the VPC to its private address. Empty until the provider has assigned that address."""
    port = settings.GPU_SERVER_PORT
    if instance.tls_certificate:
        return f"https://{machine.address}:{port}" if machine.address else ""
    return f"http://{machine.private_address}:{port}" if machine.private_address else ""


def _step_booting(instance, provider, machines) -> None:
    if _current(instance, provider, machines) is None:
        return
    build = EngineBuild.objects.filter(engine_id=instance.engine_id).first()
    expected = [build.served_model or settings.GPU_LLM_MODEL] if build else []
    expected += list(build.lora_modules) if build else []
    dialect = Dialect((build.json_dialect if build else "") or settings.GPU_JSON_DIALECT)
    client = client_for(instance_endpoint(instance, model="", dialect=dialect))
    if client.ready([model for model in expected if model]):
        instance_transition(instance, State.READY, "model_server_healthy", ready_at=now())
    elif _boot_overdue(instance):
        _release(instance, Reason.BOOT_TIMEOUT, "the model server never answered healthy")


def _current(instance, provider, machines) -> Machine | None:
    """The instance's droplet; a droplet gone behind our back fails the instance (the
    listing can lag a create, so a direct look-up confirms before judging)."""
    machine = machines.get(instance.droplet_id) if machines is not None else None
    if machine is None:
        machine = provider.get(instance.droplet_id)
    if machine is None:
        instance_transition(
            instance,
            State.FAILED,
            Reason.VANISHED,
            f"droplet {instance.droplet_id} no longer exists",
            billed_until=now(),
        )
    return machine


def _release(instance: GpuInstance, reason: str, detail: str = "") -> bool:
    """Marks the instance releasing (written before the destroy); the next step destroys."""
    return instance_transition(instance, State.RELEASING, reason, detail)


def _step_releasing(instance, provider, report) -> None:
    if instance.droplet_id is None:
        # A create may have gone out before a crash: look for it by its tag.
        machine = provider.find(instance.tag)
        instance.droplet_id = machine.handle if machine else None
    if instance.droplet_id is not None:
        provider.destroy(instance.droplet_id)
    reason = (
        instance.transitions.filter(to_state=State.RELEASING).values_list("reason", flat=True)
    ).first()
    final = State.FAILED if reason in FAILURE_REASONS else State.OFF
    if instance_transition(instance, final, "destroyed", billed_until=now()):
        report.released.append(instance.engine_id)


# 4. Plan and apply --------------------------------------------------------------------


def _managed_builds(loads: dict[str, BuildLoad]) -> list[str]:
    candidates = set(loads) | set(
        GpuInstance.objects.serving()
        .filter(state__in=GpuInstance.LIVE)
        .values_list("engine_id", flat=True)
    )
    candidates |= set(
        GpuOperatorAction.objects.filter(until__gt=now()).values_list("engine_id", flat=True)
    )
    return sorted(
        engine_id
        for engine_id in candidates
        if parse_engine_id(engine_id).provider == Provider.DO_GPU
    )


def policy_for(engine_id: str) -> gpu_policy.Policy:
    knobs = policy_settings()
    billing = billing_for(knobs.billing_rule(planning_size(knobs)))
    return gpu_policy.Policy(
        hourly_price=hourly_price(knobs),
        boot_seconds=observed_boot_seconds(engine_id),
        idle_grace_seconds=knobs.idle_grace_seconds,
        billing_granularity_seconds=billing.granularity_seconds,
        minimum_billed_seconds=billing.minimum_seconds,
        deep_backlog_items=knobs.deep_backlog_items,
        max_instances=knobs.max_instances,
        items_per_second=knobs.drain_items_per_second,
        max_lifetime_seconds=knobs.max_lifetime_seconds,
        daily_budget=float(knobs.daily_budget_usd),
    )


def hourly_price(knobs: GpuPolicySettings) -> float:
    """The first usable placement's price; 0 (nothing is provisioned) when no placement may
    be tried, a price stored invalid before prices were validated included: the page that
    shows it must still open."""
    placement = first_placement(knobs)
    return float(knobs.hourly_prices[placement["size_slug"]]) if placement else 0.0


def observed_boot_seconds(engine_id: str) -> float:
    """The median of the last boots, from provision to ready; the setting until there are
    any."""
    boots = sorted(
        (instance.ready_at - instance.created_at).total_seconds()
        for instance in GpuInstance.objects.serving()
        .filter(engine_id=engine_id, ready_at__isnull=False)
        .order_by("-created_at")[:9]
    )
    return boots[len(boots) // 2] if boots else settings.GPU_BOOT_SECONDS


def hold_warm_until(engine_id: str) -> datetime | None:
    """The admin's latest hold for the build, unless a "release now" came after it."""
    latest = GpuOperatorAction.objects.filter(engine_id=engine_id).first()
    if latest is None or latest.kind != GpuOperatorAction.Kind.HOLD_WARM:
        return None
    return latest.until


def last_activity(instance: GpuInstance) -> datetime | None:
    if not instance.endpoint_url:
        return None
    return ModelCall.objects.filter(
        endpoint=instance.endpoint_url.rstrip("/"), started_at__gte=instance.created_at
    ).aggregate(last=Max("started_at"))["last"]


def _activity(instance: GpuInstance) -> float | None:
    moments = [moment for moment in (last_activity(instance), instance.ready_at) if moment]
    return max(moments).timestamp() if moments else None


def plan_build(engine_id: str, load: BuildLoad) -> gpu_policy.Plan:
    """What the policy says for one build now: the tick's decision."""
    return gpu_policy.plan(build_view(engine_id, load), policy_for(engine_id))


def grace_reading(engine_id: str, load: BuildLoad) -> gpu_policy.GraceReading:
    """Why the build holds its grace and when it expects work: what the panel shows."""
    return gpu_policy.read_grace(build_view(engine_id, load), policy_for(engine_id))


def build_view(engine_id: str, load: BuildLoad) -> gpu_policy.View:
    """One build as the policy sees it now."""
    moment = now()
    instances = tuple(
        gpu_policy.Instance(
            id=instance.id,
            live_since=instance.created_at.timestamp(),
            ready=instance.state == State.READY,
            last_activity=_activity(instance),
        )
        for instance in GpuInstance.objects.serving().filter(
            engine_id=engine_id, state__in=[State.PROVISIONING, State.BOOTING, State.READY]
        )
    )
    failure = (
        GpuInstance.objects.serving()
        .filter(engine_id=engine_id, state=State.FAILED)
        .aggregate(last=Max("state_changed_at"))["last"]
    )
    warm = hold_warm_until(engine_id)
    return gpu_policy.View(
        now=moment.timestamp(),
        backlog_items=load.items,
        instances=instances,
        arrivals=tuple(arrival.timestamp() for arrival in load.arrivals),
        spent_today=spent_between(today_start(moment), moment),
        hold_warm_until=warm.timestamp() if warm else None,
        last_failure_at=failure.timestamp() if failure else None,
    )


def _apply(engine_id, plan, provider, machines, report, companions=()) -> None:
    for step in plan.steps:
        if step.action == gpu_policy.Action.RELEASE:
            instance = GpuInstance.objects.filter(id=step.instance_id).first()
            if instance is None or not _release(instance, step.reason):
                continue
        else:
            if blocker := provision_blocker() or _family_full(engine_id):
                report.waiting[engine_id] = blocker
                continue
            instance = _instance_create(engine_id, reason=step.reason)
            report.provisioned.append(engine_id)
        _advance(instance, provider, machines, report, companions)


def provision_blocker() -> str:
    """Why no machine may be rented now, in the words the GPU page shows ("" when one
    may): no placement may be tried (each says why), or the daily budget is spent."""
    knobs = policy_settings()
    if first_placement(knobs) is None:
        passed = [
            {**placement, "reason": placement_blocker(knobs, placement)}
            for placement in knobs.placements
        ]
        return (
            f"No placement can be rented. {describe_passed(passed)} Nothing is provisioned, "
            "and GPU work waits, until an admin changes the policy below."
        )
    moment = now()
    if spent_between(today_start(moment), moment) >= float(knobs.daily_budget_usd):
        return "The daily budget is spent: nothing is provisioned until midnight UTC."
    return ""


def _family_full(engine_id: str) -> str:
    """Whether ``engine_id`` has its ``max_instances`` machines up, counting the training
    machines of runs that descend from it (they rent the same kind of GPU)."""
    limit = policy_settings().max_instances
    live = GpuInstance.objects.filter(state__in=GpuInstance.LIVE)
    count = live.filter(
        Q(engine_id=engine_id, training_run__isnull=True)
        | Q(training_run__parent_engine_id=engine_id)
    ).count()
    if count < limit:
        return ""
    return (
        f"{engine_id} has {count} machine{'s' if count != 1 else ''} up (max instances: {limit})."
    )


def _instance_create(engine_id: str, *, reason: str, training_run=None) -> GpuInstance:
    moment = now()
    with transaction.atomic():
        # The first usable placement until the create picks the one DigitalOcean has.
        knobs = policy_settings()
        placement = first_placement(knobs) or {"size_slug": "", "region": ""}
        instance = GpuInstance.objects.create(
            engine_id=engine_id,
            training_run=training_run,
            size_slug=placement["size_slug"],
            region=placement["region"],
            hourly_price=hourly_price(knobs),
            billing_rule=knobs.billing_rule(placement["size_slug"]),
            state=State.PROVISIONING,
            state_changed_at=moment,
        )
        GpuTransition.objects.create(
            instance=instance,
            from_state=State.OFF,
            to_state=State.PROVISIONING,
            reason=reason,
            at=moment,
        )
    return instance


DROPLET_NAME_PREFIX = "prospector-gpu-"


def _droplet_name(instance: GpuInstance) -> str:
    return f"{DROPLET_NAME_PREFIX}{str(instance.id)[:8]}"


def install_tag() -> str:
    """The tag on every droplet of this install: DO_TAG, else one derived from the
    install's id, so neither another install on the same DigitalOcean team nor a droplet
    someone tagged "prospector" is ever taken for ours."""
    return settings.DO_TAG or f"prospector-{policy_settings().install_id.hex[:12]}"


def _build_tag(engine_id: str) -> str:
    # DigitalOcean tags allow letters, digits, ':', '-' and '_': the build's dots become '-'.
    return "prospector-build:" + engine_id.replace(".", "-")


def rides_along(rider_id: str, engine_ids) -> bool:
    """Whether the head ``rider_id`` loads on a machine booted for one of ``engine_ids``:
    a do-gpu build on the same weights. One on other weights (a 7B head beside a larger
    drafter) needs a machine of its own."""
    rider = EngineBuild.objects.filter(engine_id=rider_id).first()
    if rider is None or rider.parsed.provider != Provider.DO_GPU:
        return False
    return EngineBuild.objects.filter(
        engine_id__in=engine_ids, model_path=rider.model_path
    ).exists()


def served_heads(build: EngineBuild, companions=()) -> tuple[dict, dict]:
    """The LoRA heads a machine for ``build`` loads, and their ranks: the build's own, plus
    each companion's adapter when the companion runs on the same weights (a head trained
    on other weights cannot ride along, so it is left out and the rules decide for it)."""
    modules, ranks = dict(build.lora_modules), dict(build.lora_ranks)
    riders = EngineBuild.objects.filter(engine_id__in=companions).exclude(engine_id=build.engine_id)
    for rider in riders:
        path = rider.lora_modules.get(rider.adapter)
        rides = rider.parsed.provider == Provider.DO_GPU and rider.model_path == build.model_path
        if not rides or not path or modules.get(rider.adapter, path) != path:
            continue
        modules[rider.adapter] = path
        if rider.adapter in rider.lora_ranks:
            ranks[rider.adapter] = rider.lora_ranks[rider.adapter]
    return modules, ranks


def _user_data(instance: GpuInstance, companions=()) -> str:
    """The build's cloud-init; a configuration that cannot boot fails the instance at once
    (a permanent error) instead of renting a GPU that never serves. The heads it loads are
    kept on the instance, where companions' calls look for them."""
    engine_id = instance.engine_id
    build = EngineBuild.objects.filter(engine_id=engine_id).first()
    if build is None:
        raise ProviderError(f"'{engine_id}' is not in the engine-build registry.", permanent=True)
    modules, ranks = served_heads(build, companions)
    GpuInstance.objects.filter(id=instance.id).update(adapters=sorted(modules))
    certificate = droplet_credentials_make(instance, server_name=_droplet_name(instance))
    try:
        handover = credentials_handover(instance)
        config = ServeConfig(
            engine_id=engine_id,
            model_path=build.model_path or f"{weights_mount()}/model",
            served_model=build.served_model or settings.GPU_LLM_MODEL,
            lora_modules=modules,
            max_lora_rank=max_lora_rank(ranks.values()),
            tls_certificate=certificate,
            port=settings.GPU_SERVER_PORT,
            allowed_cidr=settings.GPU_APP_CIDR,
            has_ssh_keys=bool(settings.DO_SSH_KEYS),
            volume_name=settings.DO_WEIGHTS_VOLUME,
        )
    except ValueError as error:
        raise ProviderError(f"Serve configuration: {error}", permanent=True) from error
    return render_user_data(config, handover)


# 5. Training machines -----------------------------------------------------------------

ENDED = (RunStatus.SUCCEEDED, RunStatus.FAILED)


def _train(provider, machines, report) -> None:
    """A machine for each GPU training run that has none, within the budget and its
    parent's max instances (else the run waits, saying why); a release for each whose run
    has ended; a failed run for each whose machine failed, vanished, ran out of time or
    outran the daily budget."""
    for run in TrainingRun.objects.filter(
        placement=TrainingRun.Placement.GPU, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ):
        instances = list(run.gpu_instances.order_by("-created_at"))
        live = next((row for row in instances if row.state in GpuInstance.LIVE), None)
        if live is None and instances:
            detail = f"The training droplet ended ({instances[0].state}) before the run did."
            TrainingRun.finish(run.id, RunStatus.FAILED, detail)
        elif live is None:
            _train_start(run, provider, machines, report)
        elif now() - live.created_at > timedelta(seconds=settings.TRAINING_TIME_LIMIT):
            TrainingRun.finish(
                run.id, RunStatus.FAILED, "The training droplet ran past TRAINING_TIME_LIMIT."
            )
        elif blocker := provision_blocker():
            # The budget releases everything, a training machine too: its run ends here.
            TrainingRun.finish(run.id, RunStatus.FAILED, f"Stopped: {blocker}")
    ended = GpuInstance.objects.filter(
        state__in=[State.PROVISIONING, State.BOOTING, State.READY],
        training_run__status__in=ENDED,
    )
    for instance in ended:
        if _release(instance, "training_ended", f"run {instance.training_run.status}"):
            _advance(instance, provider, machines, report)


def _train_start(run: TrainingRun, provider, machines, report) -> None:
    """Rents the run's machine, or leaves the run queued with the reason it waits. The run
    is `running` from the moment its machine is asked for: its report token opens the job
    and the report endpoints only while the run runs."""
    blocker = provision_blocker() or _family_full(run.parent_engine_id)
    if blocker:
        report.waiting[str(run.id)] = blocker
        TrainingRun.objects.filter(id=run.id, status=RunStatus.QUEUED).exclude(
            status_detail=f"Waiting: {blocker}"
        ).update(status_detail=f"Waiting: {blocker}")
        return
    with transaction.atomic():
        started = TrainingRun.start(run.id, placement=run.placement, device="cuda")
        if not started and run.status != RunStatus.RUNNING:
            return
        instance = _instance_create(run.new_engine_id, reason="training_run", training_run=run)
    report.provisioned.append(run.new_engine_id)
    _advance(instance, provider, machines, report)


def _training_user_data(instance: GpuInstance) -> str:
    run = instance.training_run
    try:
        return render_training_user_data(
            run_id=str(run.id),
            api_url=settings.TRAINING_API_URL,
            handover=credentials_handover(instance),
            volume_name=settings.DO_WEIGHTS_VOLUME,
            out_dir=adapter_dir_on_volume(run.new_engine_id),
            allowed_cidr=settings.GPU_APP_CIDR,
            has_ssh_keys=bool(settings.DO_SSH_KEYS),
        )
    except ValueError as error:
        raise ProviderError(f"Training configuration: {error}", permanent=True) from error
