"""When to rent, hold and release an on-demand GPU: pure decisions, no I/O.

The lifecycle tick (``engines/gpu_lifecycle.py``) and the simulator
(``bench/gpu_policy.py``) both call ``plan``, so what the benchmark measures is the code
that runs in production. Times are seconds on any monotonic scale.

The idle grace is a ski-rental decision. Holding an idle GPU costs its price per second;
releasing it costs a re-provision later: the boot time that is billed before the model
serves (rounded up to the billing granularity). Their break-even ``B`` is the classic
fixed grace, never worse than twice the offline optimum. With enough arrival history we
do better: pick the grace that would have cost least over the recent idle gaps (the
empirical-risk-minimising threshold), so sparse traffic releases at once and bursty
traffic holds just past its typical pause.
"""

import math
from dataclasses import dataclass, field
from enum import StrEnum

# Fewer recent gaps than this and the history says too little: use the break-even grace.
# Two already beat the fixed grace on sparse traffic (bench/gpu_policy.py), and the
# adversarial worst case barely moves between one and five.
MIN_GAPS_FOR_ADAPTIVE = 2
# Only this many recent gaps count, so the grace follows a changing day.
GAP_WINDOW = 50


class Action(StrEnum):
    PROVISION = "provision"
    RELEASE = "release"


class Reason(StrEnum):
    WORK_WAITING = "work_waiting"
    SCALE_OUT = "scale_out"
    HOLD_WARM = "hold_warm"
    IDLE = "idle_grace_elapsed"
    BUDGET = "daily_budget_reached"
    LIFETIME = "max_lifetime_reached"
    BOOT_TIMEOUT = "boot_timeout"
    ADMIN = "released_by_admin"
    VANISHED = "droplet_vanished"
    ORPHAN = "orphan_droplet"
    PROVIDER_ERROR = "provider_error"


@dataclass(frozen=True)
class Policy:
    hourly_price: float
    boot_seconds: float  # provision + model load, billed, before the model serves
    idle_grace_seconds: float | None = None  # None: adaptive (see the module docstring)
    billing_granularity_seconds: float = 1.0
    minimum_billed_seconds: float = 0.0
    deep_backlog_items: int = 50
    max_instances: int = 1
    items_per_second: float = 1.0  # one instance's drain rate, for the scale-out estimate
    max_lifetime_seconds: float = 12 * 3600
    daily_budget: float = 100.0
    failure_cooldown_seconds: float = 120.0

    @property
    def break_even_seconds(self) -> float:
        """Idle seconds that cost as much as one more provision-and-boot."""
        billed_boot = max(self.boot_seconds, self.minimum_billed_seconds)
        granularity = max(self.billing_granularity_seconds, 1.0)
        return math.ceil(billed_boot / granularity) * granularity


@dataclass(frozen=True)
class Instance:
    id: object
    live_since: float  # when it was provisioned
    ready: bool  # serving (not still provisioning or booting)
    last_activity: float | None = None  # last inference call it served


@dataclass(frozen=True)
class View:
    """What one build looks like at one tick."""

    now: float
    backlog_items: int
    instances: tuple[Instance, ...] = ()
    arrivals: tuple[float, ...] = ()  # recent work arrival times, oldest first
    spent_today: float = 0.0
    hold_warm_until: float | None = None
    last_failure_at: float | None = None


@dataclass(frozen=True)
class Step:
    action: Action
    reason: Reason
    instance_id: object = None


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...] = ()
    grace_seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())

    def releases(self) -> list[Step]:
        return [step for step in self.steps if step.action == Action.RELEASE]

    @property
    def provisions(self) -> int:
        return sum(step.action == Action.PROVISION for step in self.steps)


def idle_gaps(arrivals: tuple[float, ...] | list[float]) -> list[float]:
    """The pauses between consecutive arrivals, most recent ``GAP_WINDOW`` of them."""
    ordered = sorted(arrivals)
    gaps = [later - earlier for earlier, later in zip(ordered, ordered[1:], strict=False)]
    return [gap for gap in gaps if gap > 0][-GAP_WINDOW:]


def idle_grace(policy: Policy, arrivals) -> float:
    """How long an idle instance is held before release.

    A fixed ``idle_grace_seconds`` wins; otherwise the threshold that would have cost
    least over the recent gaps: a gap ``x`` costs ``x`` when held through (``x <= g``) and
    ``g + B`` when released after ``g`` and re-provisioned. Only the gaps themselves, zero
    and ``B`` can be optimal, so trying those is exact.
    """
    if policy.idle_grace_seconds is not None:
        return policy.idle_grace_seconds
    break_even = policy.break_even_seconds
    gaps = idle_gaps(arrivals)
    if len(gaps) < MIN_GAPS_FOR_ADAPTIVE:
        return break_even

    def cost(grace: float) -> float:
        return sum(gap if gap <= grace else grace + break_even for gap in gaps)

    candidates = sorted({0.0, break_even, *gaps})
    # Ties go to the longer grace: the same cost with fewer cold starts.
    return min(candidates, key=lambda grace: (cost(grace), -grace))


def _idle_for(instance: Instance, now: float) -> float:
    since = instance.last_activity if instance.last_activity is not None else instance.live_since
    return now - since


def plan(view: View, policy: Policy) -> Plan:
    """What to do for one build now. Release beats provision: a budget or lifetime limit
    is never traded for throughput."""
    instances = sorted(view.instances, key=lambda instance: instance.live_since)
    grace = idle_grace(policy, view.arrivals)
    if view.spent_today >= policy.daily_budget:
        return Plan(
            tuple(Step(Action.RELEASE, Reason.BUDGET, instance.id) for instance in instances),
            grace,
            ("The daily budget is spent: nothing runs until tomorrow.",),
        )
    deep = view.backlog_items >= policy.deep_backlog_items
    warm = view.hold_warm_until is not None and view.now < view.hold_warm_until
    steps: list[Step] = []
    kept: list[Instance] = []
    for instance in instances:
        age = view.now - instance.live_since
        # Recycled only between jobs: a release mid-job would throw the work away.
        if age >= policy.max_lifetime_seconds and view.backlog_items == 0:
            steps.append(Step(Action.RELEASE, Reason.LIFETIME, instance.id))
        elif (
            instance.ready
            and view.backlog_items == 0
            and not warm
            and _idle_for(instance, view.now) >= grace
        ):
            steps.append(Step(Action.RELEASE, Reason.IDLE, instance.id))
        else:
            kept.append(instance)
    wanted = _instances_wanted(view, policy, deep=deep, warm=warm)
    cooling = (
        view.last_failure_at is not None
        and view.now - view.last_failure_at < policy.failure_cooldown_seconds
    )
    if len(kept) < wanted and not cooling:
        reason = (
            Reason.WORK_WAITING
            if not kept and view.backlog_items
            else Reason.SCALE_OUT
            if view.backlog_items
            else Reason.HOLD_WARM
        )
        steps.extend(Step(Action.PROVISION, reason) for _ in range(wanted - len(kept)))
    return Plan(tuple(steps), grace)


def _instances_wanted(view: View, policy: Policy, *, deep: bool, warm: bool) -> int:
    if view.backlog_items == 0:
        return 1 if warm else 0
    wanted = 1
    if deep and policy.items_per_second > 0:
        # Another instance pays off when draining on the ones we have would outlast a boot.
        drain_seconds = view.backlog_items / policy.items_per_second
        wanted = math.ceil(drain_seconds / max(policy.boot_seconds, 1.0))
    return max(1, min(wanted, policy.max_instances))
