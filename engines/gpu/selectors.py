from dataclasses import dataclass

from core.clock import now
from engines.billing import describe as describe_billing
from engines.gpu.costs import month_start, spent_between, today_start
from engines.gpu.lifecycle import (
    BuildLoad,
    grace_reading,
    hold_warm_until,
    policy_for,
    policy_settings,
    provision_blocker,
)
from engines.gpu.placements import planning_size
from engines.holds import WaitReason
from engines.ids import Provider, parse_engine_id
from engines.models.gpu import GpuInstance, GpuOperatorAction, GpuPolicySettings, GpuTransition
from engines.selectors import engine_wait, gpu_account_connected, selectable_engine_ids


def gpu_drafter_ids() -> list[str]:
    """The drafter builds served from an on-demand GPU: the ones the lifecycle manages."""
    return sorted(
        engine_id
        for engine_id in selectable_engine_ids()
        if parse_engine_id(engine_id).provider == Provider.DO_GPU
    )


def gpu_builds(loads: dict) -> list[dict]:
    """Per do-gpu build: its instances, the backlog the caller hands in, the idle grace the
    policy would use now and why (``grace_reading``), the admin's hold, and what it cost
    today and this month."""
    moment = now()
    engine_ids = (
        set(gpu_drafter_ids())
        | set(loads)
        | set(
            GpuInstance.objects.serving()
            .filter(state__in=GpuInstance.LIVE)
            .values_list("engine_id", flat=True)
        )
    )
    rows = []
    for engine_id in sorted(engine_ids):
        load = loads.get(engine_id) or BuildLoad()
        live = list(
            GpuInstance.objects.serving().filter(engine_id=engine_id, state__in=GpuInstance.LIVE)
        )
        reading = grace_reading(engine_id, load)
        rows.append(
            {
                "engine_id": engine_id,
                "state": live[0].state if live else GpuInstance.State.OFF,
                "instances": live,
                "backlog": load.items,
                "live_backlog": load.live_items,
                "batch_backlog": load.items - load.live_items,
                "oldest_age_seconds": round(load.oldest_age_seconds),
                "idle_grace_seconds": round(reading.grace_seconds),
                "grace_reading": reading,
                "hold_warm_until": hold_warm_until(engine_id),
                "spent_today": spent_between(today_start(moment), moment, engine_id),
                "spent_month": spent_between(month_start(moment), moment, engine_id),
                "cold_starts_today": GpuInstance.objects.filter(
                    engine_id=engine_id, created_at__gte=today_start(moment)
                ).count(),
            }
        )
    return rows


def gpu_spend() -> dict:
    moment = now()
    return {
        "today": spent_between(today_start(moment), moment),
        "month": spent_between(month_start(moment), moment),
        "cold_starts_today": GpuInstance.objects.filter(
            created_at__gte=today_start(moment)
        ).count(),
    }


def gpu_timeline(limit: int = 50):
    return GpuTransition.objects.select_related("instance")[:limit]


def gpu_operator_actions(limit: int = 20):
    return GpuOperatorAction.objects.select_related("by")[:limit]


def gpu_policy_history(limit: int = 20):
    return GpuPolicySettings.history.select_related("history_user")[:limit]


@dataclass(frozen=True)
class Outlook:
    """Whether an engine can draft now, whether it can at all as this install is set up
    (False: only the person who deploys can change that, not a lever in the panel), and
    why, in words a person reads."""

    now: bool
    ever: bool
    why: str


def serving_outlook(engine_id: str) -> Outlook:
    """What switching to ``engine_id`` means for the drafts that wait for it. Read from the
    same ``engine_wait`` the worker reads, so the switch's promise is what the worker does."""
    wait = engine_wait(engine_id)
    if wait is None:
        return Outlook(now=True, ever=True, why="It can draft now.")
    if parse_engine_id(engine_id).provider == Provider.DO_GPU:
        if not gpu_account_connected():
            return Outlook(
                now=False,
                ever=False,
                why="The GPU account is not connected, so this build cannot start a machine.",
            )
        if provision_blocker():
            return Outlook(
                now=False,
                ever=True,
                why="No GPU machine may be rented now (the GPU page says why), "
                "so this build cannot start one.",
            )
        if wait.reason == WaitReason.BOOTING:
            return Outlook(now=False, ever=True, why="Its GPU machine is starting.")
        return Outlook(
            now=False,
            ever=True,
            why="No GPU machine is up for this build: one starts for the drafts that wait, "
            "which takes a few minutes.",
        )
    if wait.reason == WaitReason.BREAKER_OPEN:
        return Outlook(
            now=False,
            ever=True,
            why="Its model server failed its last calls; drafting resumes when it answers.",
        )
    return Outlook(
        now=False,
        ever=False,
        why="No model server address is set for this build, so it cannot draft.",
    )


@dataclass(frozen=True)
class BootOffer:
    """What starting a machine for a cold build costs, to ask before doing it."""

    engine_id: str
    boot_minutes: float
    boot_dollars: float  # the boot as billed, before the model serves
    hold_minutes: int  # then kept up this long whatever the grace says
    hold_dollars: float
    billing: str  # the size's billing rule, in words

    @property
    def dollars(self) -> float:
        return self.boot_dollars + self.hold_dollars


def boot_offer(engine_id: str, hold_minutes: int) -> BootOffer | None:
    """The price of starting a machine for ``engine_id`` and holding it ``hold_minutes``;
    None when none is needed (one is up or starting) or none can start (the outlook says
    why)."""
    outlook = serving_outlook(engine_id)
    if outlook.now or not outlook.ever or parse_engine_id(engine_id).provider != Provider.DO_GPU:
        return None
    if engine_wait(engine_id).reason == WaitReason.BOOTING:
        return None
    policy = policy_for(engine_id)
    knobs = policy_settings()
    per_second = policy.hourly_price / 3600
    boot = policy.billing.billed(policy.boot_seconds)
    held = policy.billing.billed(policy.boot_seconds + hold_minutes * 60) - boot
    return BootOffer(
        engine_id=engine_id,
        boot_minutes=policy.boot_seconds / 60,
        boot_dollars=boot * per_second,
        hold_minutes=hold_minutes,
        hold_dollars=held * per_second,
        billing=describe_billing(knobs.billing_rule(planning_size(knobs))),
    )
