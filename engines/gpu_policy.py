"""When to rent, hold and release an on-demand GPU: pure decisions, no I/O.

The lifecycle tick (``engines/gpu_lifecycle.py``) and the simulator
(``bench/gpu_policy.py``) both call ``plan``, so what the benchmark measures is the code
that runs in production. Times are seconds on any monotonic scale.

The idle grace is a ski-rental decision. Holding an idle GPU costs its price per second;
releasing it costs a re-provision later: the boot time that is billed before the model
serves (rounded up to the billing granularity), and the lead whose message arrives while
the machine boots waits for it, which costs ``wait_value_per_hour``. The break-even ``B``
of the billed boot alone is the classic fixed grace. With enough arrival history we do
better: pick the grace that would have cost least, money and waiting together, over the
recent idle gaps (the empirical-risk-minimising threshold), so sparse traffic releases at
once and bursty traffic holds through its pauses.

Whatever the grace says, an idle instance is never released before what is paid for it
runs out: under hourly billing it is kept until just before its next billed hour starts.
"""

import math
from dataclasses import dataclass, field
from enum import StrEnum

from engines.gpu_billing import Billing

# Fewer recent gaps than this and the history says nothing: hold the break-even grace (the
# ski-rental guard). History is the build's last jobs however old, so this is only a new
# build's first pause; releasing at once there saved a little on the shipped traces but
# makes a conversation's next message wait a whole boot.
MIN_GAPS_FOR_ADAPTIVE = 1
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
        return self.break_even_seconds + waiting

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
    (``x <= g``); released after ``g``, it costs ``g + B`` GPU seconds and the next lead
    waits a boot, with every job that follows within a boot. Only zero and the gaps
    themselves can be optimal, so trying those (and ``B`` and the cold break-even, which
    win ties) is exact.
    """
    if policy.idle_grace_seconds is not None:
        return policy.idle_grace_seconds
    break_even = policy.break_even_seconds
    gaps = idle_gaps(arrivals)
    if len(gaps) < MIN_GAPS_FOR_ADAPTIVE:
        # No history: the ski-rental guard, never worse than twice the optimum on GPU
        # money (a conversation's next message often comes within minutes).
        return break_even

    price = policy.hourly_price / 3600
    cold_starts = _cold_start_costs(policy, arrivals)

    def cost(grace: float) -> float:
        return sum(
            gap * price if gap <= grace else (grace + break_even) * price + cold_start
            for gap, cold_start in zip(gaps, cold_starts, strict=True)
        )

    candidates = sorted({0.0, break_even, policy.cold_break_even_seconds, *gaps})
    # Ties go to the longer grace: the same cost, and a gap longer than any seen yet but
    # short of the cold break-even is held through (the ski-rental guard).
    return min(candidates, key=lambda grace: (cost(grace), -grace))


def _cold_start_costs(policy: Policy, arrivals) -> list[float]:
    """For each gap, what waiting for a boot after it would have cost: every job that came
    within a boot of the gap's end waits out the rest of that boot (a burst waits whole)."""
    ordered = _recent(arrivals)
    per_second_wait = policy.wait_value_per_hour / 3600
    costs = []
    for index in range(1, len(ordered)):
        if ordered[index] == ordered[index - 1]:
            continue
        ready_at = ordered[index] + policy.boot_seconds
        waiting = 0.0
        for arrival in ordered[index:]:
            if arrival >= ready_at:
                break
            waiting += ready_at - arrival
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
            and _paid_runs_out(instance, view.now, policy)
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
