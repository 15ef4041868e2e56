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
over the recent pauses between busy periods (the empirical-risk-minimising threshold), so
sparse traffic releases at once and bursty traffic holds through its pauses. Before any
pause has been seen, the grace is the ski-rental break-even of a cold start of the work
just served.

Where work comes on a clock (``engines.gpu.forecast``), a droplet is provisioned to be
ready ``prewarm_lead_seconds`` before the predicted work and held through its window, and
an idle one is kept when the predicted work is nearer than a re-provision; a pause that
ends in predicted work costs only that re-provision, so the grace lets go sooner. A wrong
prediction costs a boot and an idle window; the benchmark counts both.

Whatever the grace says, an idle instance is never released before what is paid for it
runs out: under hourly billing it is kept until just before its next billed hour starts.
An instance recycled for its age while the grace would still hold it is replaced at once,
so the recycle costs one boot rather than a lead's cold start.
"""

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from itertools import accumulate

from engines.billing import Billing
from engines.gpu.forecast import Forecast, Pattern, forecast


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
    PREDICTED = "predicted_work"
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
    # Boot ahead of work that comes on a clock; ready this long before it is due.
    predict_work: bool = True
    prewarm_lead_seconds: float = 30.0

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
    def service_seconds(self) -> float:
        return 1.0 / self.items_per_second if self.items_per_second > 0 else 0.0

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
    # Nothing in this plan changes before then unless work arrives or an instance changes
    # state; None: only such an event changes it.
    next_decision_at: float | None = None

    def releases(self) -> list[Step]:
        return [step for step in self.steps if step.action == Action.RELEASE]

    @property
    def provisions(self) -> int:
        return sum(step.action == Action.PROVISION for step in self.steps)


def _read(policy: Policy, ordered: tuple[float, ...]) -> Forecast:
    """The build's history, sorted, read for pauses and clock patterns."""
    return forecast(ordered, policy.service_seconds, policy.boot_seconds)


def idle_gaps(arrivals: tuple[float, ...] | list[float], policy: Policy) -> list[float]:
    """The recent pauses between busy periods, oldest first."""
    return [pause.seconds for pause in _read(policy, tuple(sorted(arrivals))).pauses]


def idle_grace(policy: Policy, arrivals) -> float:
    """How long an idle instance is held before release.

    A fixed ``idle_grace_seconds`` wins; otherwise the threshold that would have cost
    least over the recent pauses: a pause ``x`` costs ``x`` GPU seconds when held through
    (``x <= g``); released after ``g``, it costs ``g + R`` GPU seconds (``R``, the
    re-provision) and the waiting its cold start causes, or, where the work that ended it
    was predicted and booted for, ``g + R`` and the lead alone. Only zero and the pauses
    themselves (and where predicted pauses turn cheaper) can be optimal inside the
    history; beyond its longest pause, the cold break-evens (one lead's, and the average
    cold start's) are the ski-rental guards, and ties go to the longer grace.
    """
    if policy.idle_grace_seconds is not None:
        return policy.idle_grace_seconds
    if policy.hourly_price <= 0:
        return policy.max_lifetime_seconds  # holding is free
    return _adaptive_grace(policy, tuple(sorted(arrivals)))


@lru_cache(maxsize=256)
def _adaptive_grace(policy: Policy, ordered: tuple[float, ...]) -> float:
    """The sweep behind ``idle_grace``: pauses sorted once, each candidate's cost from
    prefix sums, so a tick costs O(candidates x log pauses)."""
    read = _read(policy, ordered)
    price = policy.hourly_price / 3600
    reprovision = policy.reprovision_seconds
    if not read.pauses:
        # Nothing says whether more work comes: hold as long as a cold start of the work
        # just served would cost (the ski-rental rule, at most twice the hindsight's cost).
        return reprovision + _cold_start_cost(policy, ordered, 0) / price if ordered else 0.0
    booted_for = reprovision + policy.prewarm_lead_seconds
    # Where a billed unit outlasts a boot, a machine booted ahead starts a unit of its own.
    discount = policy.predict_work and policy.billing_granularity_seconds <= policy.boot_seconds
    cold, foreseen = [], []  # (gap, cold start $) of pauses a cold start ends; predicted gaps
    for pause in read.pauses:
        if discount and read.foresees(ordered[pause.ended_by]):
            foreseen.append(pause.seconds)
        else:
            cold.append((pause.seconds, _cold_start_cost(policy, ordered, pause.ended_by)))
    cold.sort()
    foreseen.sort()
    cold_gaps = [gap for gap, _ in cold]
    held_cold = list(accumulate((gap for gap in cold_gaps), initial=0.0))
    cold_after = list(accumulate((cost for _, cost in reversed(cold)), initial=0.0))[::-1]
    held_foreseen = list(accumulate(foreseen, initial=0.0))

    def cost(grace: float) -> float:
        held = bisect_right(cold_gaps, grace)
        released = len(cold_gaps) - held
        total = held_cold[held] * price + released * (grace + reprovision) * price
        total += cold_after[held]
        held = bisect_right(foreseen, grace + booted_for)
        released = len(foreseen) - held
        return total + (held_foreseen[held] + released * (grace + booted_for)) * price

    cold_starts = [cost for _, cost in cold]
    average_cold_break_even = (
        reprovision + sum(cold_starts) / len(cold_starts) / price if cold_starts else 0.0
    )
    # Never longer than the dearest cold start seen is worth: past it, an adversary that
    # comes just after each release teaches the window to hold ever longer for nothing.
    cap = max(policy.cold_break_even_seconds, reprovision + max(cold_starts, default=0) / price)
    candidates = {
        0.0,
        reprovision,
        policy.cold_break_even_seconds,
        average_cold_break_even,
        *cold_gaps,
        *(max(gap - booted_for, 0.0) for gap in foreseen),
    }
    return min(
        (grace for grace in candidates if grace <= cap), key=lambda grace: (cost(grace), -grace)
    )


@dataclass(frozen=True)
class GraceReading:
    """Why a build holds the grace it holds, for the people who watch it."""

    grace_seconds: float
    fixed: bool  # an admin set it
    pauses: tuple[float, ...]  # the recent pauses it was fitted to, oldest first
    foreseen: tuple[bool, ...]  # per pause: it ended in predicted work
    patterns: tuple[Pattern, ...]  # work on a clock, if any
    next_work: tuple[float, float] | None  # the next predicted window (start, end)
    idle_since: float | None  # when the last work would have been done on a ready machine


def read_grace(view: View, policy: Policy) -> GraceReading:
    ordered = tuple(sorted(view.arrivals))
    read = _read(policy, ordered)
    return GraceReading(
        grace_seconds=idle_grace(policy, ordered),
        fixed=policy.idle_grace_seconds is not None,
        pauses=tuple(pause.seconds for pause in read.pauses),
        foreseen=tuple(read.foresees(ordered[pause.ended_by]) for pause in read.pauses),
        patterns=read.patterns if policy.predict_work else (),
        next_work=expected_work(view, policy, ordered).window,
        idle_since=read.idle_since,
    )


def _cold_start_cost(policy: Policy, ordered: tuple[float, ...], first: int) -> float:
    """What a cold start when arrival ``first`` came would have cost in waiting: the jobs
    from it on, served one at a time, each start later than on a ready machine until the
    late queue catches up (a burst waits whole)."""
    service = policy.service_seconds
    free_if_ready = ordered[first]
    free_if_cold = ordered[first] + policy.boot_seconds
    waiting = 0.0
    for arrival in ordered[first:]:
        start_if_ready = max(arrival, free_if_ready)
        start_if_cold = max(arrival, free_if_cold)
        if start_if_cold <= start_if_ready:
            break
        waiting += start_if_cold - start_if_ready
        free_if_ready, free_if_cold = start_if_ready + service, start_if_cold + service
    return waiting * policy.wait_value_per_hour / 3600


def _idle_for(instance: Instance, now: float) -> float:
    since = instance.last_activity if instance.last_activity is not None else instance.live_since
    return now - since


def _paid_runs_out(instance: Instance, now: float, policy: Policy) -> bool:
    paid_until = policy.billing.paid_until(instance.live_since, now)
    return paid_until - now <= policy.release_margin_seconds


def _release_allowed_from(instance: Instance, moment: float, policy: Policy) -> float:
    """The first time from ``moment`` on at which what is paid for it runs out."""
    if _paid_runs_out(instance, moment, policy):
        return moment
    return policy.billing.paid_until(instance.live_since, moment) - policy.release_margin_seconds


@dataclass(frozen=True)
class Expected:
    """Predicted work and what it asks of the build now."""

    window: tuple[float, float] | None = None  # (start, end), widened by the lead
    provision_from: float = math.inf  # boot so as to be ready at the window's start
    hold_from: float = math.inf  # an idle instance is kept from here (nearer than a re-provision)

    def wants_instance(self, now: float) -> bool:
        return self.window is not None and self.provision_from <= now < self.window[1]

    def holds(self, now: float) -> bool:
        return self.window is not None and self.hold_from <= now < self.window[1]

    def moments(self) -> tuple[float, ...]:
        if self.window is None:
            return ()
        return (self.hold_from, self.provision_from, self.window[1])


def expected_work(view: View, policy: Policy, ordered: tuple[float, ...]) -> Expected:
    if not policy.predict_work or policy.hourly_price <= 0 or not ordered:
        return Expected()
    window = _read(policy, ordered).next_work(view.now, tolerance=policy.prewarm_lead_seconds)
    if window is None:
        return Expected()
    return Expected(
        window=window,
        provision_from=window[0] - policy.boot_seconds,
        hold_from=window[0] - max(policy.reprovision_seconds, policy.boot_seconds),
    )


def plan(view: View, policy: Policy) -> Plan:
    """What to do for one build now. Release beats provision: a budget or lifetime limit
    is never traded for throughput."""
    instances = sorted(view.instances, key=lambda instance: instance.live_since)
    ordered = tuple(sorted(view.arrivals))
    grace = idle_grace(policy, ordered)
    if view.spent_today >= policy.daily_budget:
        return Plan(
            tuple(Step(Action.RELEASE, Reason.BUDGET, instance.id) for instance in instances),
            grace,
            ("The daily budget is spent: nothing runs until tomorrow.",),
        )
    expected = expected_work(view, policy, ordered)
    deep = view.backlog_items >= policy.deep_backlog_items
    warm = view.hold_warm_until is not None and view.now < view.hold_warm_until
    held_for_work = expected.holds(view.now)
    steps: list[Step] = []
    kept: list[Instance] = []
    replacements = 0
    for instance in instances:
        age = view.now - instance.live_since
        # Recycled only between jobs: a release mid-job would throw the work away.
        if age >= policy.max_lifetime_seconds and view.backlog_items == 0:
            steps.append(Step(Action.RELEASE, Reason.LIFETIME, instance.id))
            if _idle_for(instance, view.now) < grace or held_for_work:
                replacements += 1
        elif (
            instance.ready
            and view.backlog_items == 0
            and not warm
            and not held_for_work
            and _idle_for(instance, view.now) >= grace
            and _paid_runs_out(instance, view.now, policy)
        ):
            steps.append(Step(Action.RELEASE, Reason.IDLE, instance.id))
        else:
            kept.append(instance)
    predicted = view.backlog_items == 0 and not warm and expected.wants_instance(view.now)
    wanted = max(
        _instances_wanted(view, policy, deep=deep, warm=warm or predicted),
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
            if warm
            else Reason.PREDICTED
        )
        steps.extend(Step(Action.PROVISION, reason) for _ in range(wanted - len(kept)))
    return Plan(
        tuple(steps),
        grace,
        next_decision_at=_next_decision(view, policy, kept, grace, expected),
    )


def _next_decision(
    view: View, policy: Policy, kept: list[Instance], grace: float, expected: Expected
) -> float | None:
    """The earliest time at which, with no arrival and no instance changing state, any
    condition ``plan`` reads turns: a grace or a paid unit running out, an age limit, a
    hold or a cooldown ending, a predicted window opening or closing."""
    moments = [*expected.moments()]
    if view.hold_warm_until is not None:
        moments.append(view.hold_warm_until)
    if view.last_failure_at is not None:
        moments.append(view.last_failure_at + policy.failure_cooldown_seconds)
    for instance in kept:
        moments.append(instance.live_since + policy.max_lifetime_seconds)
        idle_since = view.now - _idle_for(instance, view.now)
        grace_ends = max(view.now, idle_since + grace)
        if math.isfinite(grace_ends):
            moments.append(_release_allowed_from(instance, grace_ends, policy))
    return min((moment for moment in moments if view.now < moment < math.inf), default=None)


def _instances_wanted(view: View, policy: Policy, *, deep: bool, warm: bool) -> int:
    if view.backlog_items == 0:
        return 1 if warm else 0
    wanted = 1
    if deep and policy.items_per_second > 0:
        # Another instance pays off when draining on the ones we have would outlast a boot.
        drain_seconds = view.backlog_items / policy.items_per_second
        wanted = math.ceil(drain_seconds / max(policy.boot_seconds, 1.0))
    return max(1, min(wanted, policy.max_instances))
