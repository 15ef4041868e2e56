"""When to rent, hold and release an on-demand GPU: pure decisions, no I/O.

The lifecycle tick (``engines/gpu/lifecycle.py``) and the simulator
(``bench/gpu_policy.py``) both call ``plan``, so what the benchmark measures is the code
that runs in production. Times are seconds on any monotonic scale.

The idle grace is a ski-rental decision. Holding an idle GPU costs its price per second;
releasing it costs a re-provision later: the boot, billed before the model serves, and the
leads who wait for that boot, which costs ``wait_value_per_hour``. A lead who comes while
the machine boots is not the only one who waits: every job queued behind it starts a boot
later, until the queue catches up, so a burst's cold start costs the whole burst. With
arrival history we pick the grace that would have cost least, money and waiting together,
over the recent idle gaps (the empirical-risk-minimising threshold), so sparse traffic
releases at once and bursty traffic holds through its pauses. With no history at all
nothing says more work is coming: the instance is released once what is paid runs out.

Whatever the grace says, an idle instance is never released before what is paid for it
runs out: under hourly billing it is kept until just before its next billed hour starts.
An instance recycled for its age while the grace would still hold it is replaced at once,
so the recycle costs one boot rather than a lead's cold start.
"""

import math
from dataclasses import dataclass, field
from enum import StrEnum

from engines.billing import Billing

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
    RECYCLED = "replaces_a_recycled_instance"
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
    items_per_second: float = 1.0  # one instance's drain rate: scale-out, queued waits
    max_lifetime_seconds: float = 12 * 3600
    daily_budget: float = 100.0
    failure_cooldown_seconds: float = 120.0
    # What an hour of a lead waiting for a reply is worth: what makes a cold start dear.
    wait_value_per_hour: float = 20.0
    # Released this long before a paid unit runs out: a tick or two, and the destroy call.
    release_margin_seconds: float = 60.0

    @property
    def billing(self) -> Billing:
        return Billing(self.billing_granularity_seconds, self.minimum_billed_seconds)

    @property
    def cold_break_even_seconds(self) -> float:
        """Idle seconds that cost as much as a re-provision plus one lead waiting its boot."""
        if self.hourly_price <= 0:
            return self.max_lifetime_seconds  # holding is free
        waiting = self.boot_seconds * self.wait_value_per_hour / self.hourly_price
        return self.reprovision_seconds + waiting

    @property
    def reprovision_seconds(self) -> float:
        """GPU seconds a release and re-provision adds: the billed boot. Under a billing
        unit longer than the boot (a started hour) the new machine's first unit serves the
        work it was started for, so only the boot itself is extra, and holding into the
        next unit is weighed by the grace at its edge (``_paid_runs_out``)."""
        if self.billing_granularity_seconds > self.boot_seconds:
            return self.boot_seconds
        return self.break_even_seconds

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
    """The pauses between the last ``GAP_WINDOW + 1`` arrivals (none for simultaneous ones)."""
    ordered = _recent(arrivals)
    gaps = [later - earlier for earlier, later in zip(ordered, ordered[1:], strict=False)]
    return [gap for gap in gaps if gap > 0]


def _recent(arrivals) -> list[float]:
    return sorted(arrivals)[-(GAP_WINDOW + 1) :]


def idle_grace(policy: Policy, arrivals) -> float:
    """How long an idle instance is held before release.

    A fixed ``idle_grace_seconds`` wins; otherwise the threshold that would have cost
    least over the recent gaps: a gap ``x`` costs ``x`` GPU seconds when held through
    (``x <= g``); released after ``g``, it costs ``g + R`` GPU seconds (``R``, the
    re-provision) and the waiting its cold start causes. Only zero and the gaps themselves
    can be optimal inside the history; beyond its longest gap, the cold break-evens (one
    lead's, and the average cold start's) are the ski-rental guards, and ties go to the
    longer grace.
    """
    if policy.idle_grace_seconds is not None:
        return policy.idle_grace_seconds
    if policy.hourly_price <= 0:
        return policy.max_lifetime_seconds  # holding is free
    gaps = idle_gaps(arrivals)
    if not gaps:
        return 0.0

    price = policy.hourly_price / 3600
    reprovision = policy.reprovision_seconds
    cold_starts = _cold_start_costs(policy, arrivals)

    def cost(grace: float) -> float:
        return sum(
            gap * price if gap <= grace else (grace + reprovision) * price + cold_start
            for gap, cold_start in zip(gaps, cold_starts, strict=True)
        )

    average_cold_break_even = reprovision + sum(cold_starts) / len(cold_starts) / price
    candidates = sorted(
        {0.0, reprovision, policy.cold_break_even_seconds, average_cold_break_even, *gaps}
    )
    return min(candidates, key=lambda grace: (cost(grace), -grace))


def _cold_start_costs(policy: Policy, arrivals) -> list[float]:
    """For each gap, what a cold start after it would have cost in waiting: the jobs from
    the gap's end on, served one at a time at ``items_per_second``, each start later than
    on a ready machine until the late queue catches up (a burst waits whole)."""
    ordered = _recent(arrivals)
    service = 1.0 / policy.items_per_second if policy.items_per_second > 0 else 0.0
    per_second_wait = policy.wait_value_per_hour / 3600
    costs = []
    for index in range(1, len(ordered)):
        if ordered[index] == ordered[index - 1]:
            continue
        free_if_ready = ordered[index]
        free_if_cold = ordered[index] + policy.boot_seconds
        waiting = 0.0
        for arrival in ordered[index:]:
            start_if_ready = max(arrival, free_if_ready)
            start_if_cold = max(arrival, free_if_cold)
            if start_if_cold <= start_if_ready:
                break
            waiting += start_if_cold - start_if_ready
            free_if_ready, free_if_cold = start_if_ready + service, start_if_cold + service
        costs.append(waiting * per_second_wait)
    return costs


def _idle_for(instance: Instance, now: float) -> float:
    since = instance.last_activity if instance.last_activity is not None else instance.live_since
    return now - since


def _paid_runs_out(instance: Instance, now: float, policy: Policy) -> bool:
    paid_until = policy.billing.paid_until(instance.live_since, now)
    return paid_until - now <= policy.release_margin_seconds


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
    replacements = 0
    for instance in instances:
        age = view.now - instance.live_since
        # Recycled only between jobs: a release mid-job would throw the work away.
        if age >= policy.max_lifetime_seconds and view.backlog_items == 0:
            steps.append(Step(Action.RELEASE, Reason.LIFETIME, instance.id))
            if _idle_for(instance, view.now) < grace:
                replacements += 1
        elif (
            instance.ready
            and view.backlog_items == 0
            and not warm
            and _idle_for(instance, view.now) >= grace
            and _paid_runs_out(instance, view.now, policy)
        ):
            steps.append(Step(Action.RELEASE, Reason.IDLE, instance.id))
        else:
            kept.append(instance)
    wanted = max(
        _instances_wanted(view, policy, deep=deep, warm=warm),
        min(len(kept) + replacements, policy.max_instances),
    )
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
            else Reason.RECYCLED
            if replacements
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
