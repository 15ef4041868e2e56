"""The on-demand GPU policy replayed over arrival traces on a virtual clock, judged on money
and on the time leads wait for a reply together.

    python bench/gpu_policy.py [--trace FILE ...] [--billing per_second|per_started_hour ...]
        [--wait-value 20] [--service-seconds 20] [--boot-seconds 180]
        [--minimum-billed-seconds 60] [--price 3.44] [--tick-seconds 5] [--no-adversary]

Without ``--trace`` it replays every trace under ``bench/traces/`` (``generate.py`` writes
them), under both billing rules (``engines/billing.py``) unless ``--billing`` names one. A
trace file holds one arrival time in seconds per line; one that opens with ``# periodic``
is clock-driven work, where booting ahead should pay (``periodic_gain``).

The figures. ``total = GPU $ + WAIT_VALUE x waiting hours``: what the GPU bill says plus
what the leads' waiting is worth. On a queue-heavy trace most of that is queueing an
always-ready machine has too, so policies are compared on the **avoidable cost**
``A = total - WAIT_VALUE x`` the waiting an always-ready machine imposes (what the optimum
minimises). ``--wait-value`` (default $20 an hour of a lead waiting) must exceed the GPU
price: below it waiting would be cheaper than the GPU, and the exact optimum assumes not.

Model. Each arrival is one job needing ``--service-seconds`` of GPU time. An instance serves
the FIFO queue one job at a time, and only once it is ready, ``--boot-seconds`` after it was
provisioned (provision + model load, billed). An instance's cost is its lifetime from
provision to release, billed by the rule, at ``--price`` per hour. A job's wait is from its
arrival to the start of its service.

The clock ticks every ``--tick-seconds`` (the Celery beat). Between ticks, arrivals, boot
completions and job completions happen at their exact times. At a tick the real
``engines.gpu.policy.plan`` sees a ``View``: the jobs waiting or running, each instance
(``last_activity`` is now while it runs a job), the arrivals of the history the lifecycle
reads (``engines.gpu.forecast.HISTORY_*``), nothing spent today and no hold-warm. Its
steps are applied as they come, except that releasing an instance with a job running, or
provisioning past ``max_instances`` (1), is refused and counted as a policy bug. The clock
skips ticks at which nothing can change: ``plan`` names the next moment its answer could
turn (``Plan.next_decision_at``), and the replay jumps to the first tick at or after that
or the next event (a test checks this against asking at every tick). Every job is done: a
run ends when the queue is drained and a ready machine would have finished the last job;
a policy that has not drained it ``SAFETY_CAP_SECONDS`` after the last arrival is stopped
and each job left is charged its wait until a ready machine would have done it (and the
bench exits non-zero). Idling after the window is not billed; a machine still up then is
billed to the end by the second.

Policies, all through that same loop and starting from nothing: ours (the shipped adaptive
grace and prediction); release at every tick; the fixed break-even grace; a 5-minute idle
checked every 60 s (SkyPilot autostop's default); a 300 s cooldown polled every 30 s
(KEDA's); a 60 s window (Modal's ``scaledown_window``); always-on (a grace longer than any
trace; recycled at the maximum lifetime like the others). None of the baselines predicts.

Hindsight: the fixed grace that would have done best on this very trace, found by a 20%
geometric grid from one tick to the longest life, refined twice around the best point down
to one tick.

Optimum (computed, not simulated): a clairvoyant with one instance at a time, the same boot
and billing. An instance serves a run of consecutive busy periods of the FIFO queue. For a
run it picks when the instance is ready: at the run's first arrival (provisioned ``boot``
ahead; nothing is provisioned before the trace starts at 0), or later, letting jobs wait to
shorten the billed lifetime, which only pays where the billing rounds (a started hour). A
dynamic programme over the gaps between busy periods picks, for each gap of at least a
boot, hold through it or release and start a new run, exactly. The billing steps a delay
could pay for are made lazily (``billed_thresholds``), so a day of per-second billing costs
a few candidates per run, not one per second.

Adversaries, made online inside the bench over ``ADVERSARY_JOBS`` cycles: one that sends
the next job one second after each release, and constant gaps up to 1.5 times the cold
break-even. Ours against the first is compared with what it forces on any deterministic
policy at the same number of cycles (the best fixed grace against it, searched).

Prints, per trace, billing rule and policy: GPU-hours and their cost, provisions, cold
starts, p50 and p95 wait, work left undone, ``total``, ``A`` and ``A`` over the optimum's;
then the hindsight grace. The last line, worst over every trace and rule:

    RESULT vs_hindsight=<A(ours) / A(hindsight)> beats_every_baseline=<yes|no: A(ours) <=
    A(baseline) + 0.5% everywhere> peer_margin=<A(ours) / A(best of SkyPilot, KEDA, Modal)
    where that peer is >= 1.25x the hindsight, else n/a> vs_adversarial_floor=<ours /
    the floor> periodic_gain=<1 - A(ours)/A(hindsight) on periodic traces, else n/a>
"""

import argparse
import dataclasses
import math
import sys
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from engines.billing import Billing, Rule, billing_for
from engines.gpu.forecast import HISTORY_ARRIVALS, HISTORY_SECONDS
from engines.gpu.policy import Action, Instance, Plan, Policy, View, plan

ROOT = Path(__file__).resolve().parents[1]

TRACES_DIR = ROOT / "bench" / "traces"
DAY = 24 * 3600.0
# A policy that has not drained the queue this long after the last arrival never will: the
# run stops and each job left is charged the wait until a ready machine would have done it.
SAFETY_CAP_SECONDS = 60 * DAY
# The adversary's cycles: enough for the adaptive grace to learn and be fooled, and for the
# first job's cold start to weigh nothing.
ADVERSARY_JOBS = 200
# The targets (issue #34), checked on every trace and billing rule.
NO_REGRET_SLACK = 0.005
PEERS = ("SkyPilot 5m", "KEDA 300s", "Modal 60s")
PEER_FAR = 1.25  # a peer's default counts for the margin where it is this far from hindsight


@dataclass(frozen=True)
class Params:
    service: float
    boot: float
    billing: Billing
    price: float
    tick: float
    wait_value: float  # USD per hour of a lead waiting

    def policy(self, idle_grace_seconds: float | None, *, predict: bool = True) -> Policy:
        return Policy(
            hourly_price=self.price,
            boot_seconds=self.boot,
            billing_granularity_seconds=self.billing.granularity_seconds,
            minimum_billed_seconds=self.billing.minimum_seconds,
            idle_grace_seconds=idle_grace_seconds,
            wait_value_per_hour=self.wait_value,
            items_per_second=1 / self.service,
            predict_work=predict,
        )


@dataclass
class Outcome:
    name: str
    billed_seconds: float
    provisions: int
    cold_starts: int
    waits: list[float]
    undone: int
    policy_bugs: int = 0
    # Seconds of waiting an always-ready machine would impose on the same trace.
    unavoidable_wait: float = 0.0

    def gpu_cost(self, params: Params) -> float:
        return self.billed_seconds / 3600 * params.price

    def total(self, params: Params) -> float:
        return self.gpu_cost(params) + sum(self.waits) / 3600 * params.wait_value

    def avoidable(self, params: Params) -> float:
        """``A``: the total less the queueing any machine, however ready, would cause."""
        return self.total(params) - self.unavoidable_wait / 3600 * params.wait_value


@dataclass
class Box:
    """One simulated instance."""

    id: int
    live_since: float
    ready_at: float
    ready: bool = False
    busy_until: float | None = None  # when its running job completes
    last_activity: float | None = None  # when it last finished a job
    released_at: float | None = None


@dataclass
class Sim:
    arrivals: list[float]
    params: Params
    policy: Policy
    seen: int = 0  # arrivals[:seen] have happened
    queue: deque = field(default_factory=deque)  # arrival times of the jobs waiting
    live: list[Box] = field(default_factory=list)
    gone: list[Box] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    completed: int = 0
    cold_starts: int = 0
    provisions: int = 0
    policy_bugs: int = 0
    every_tick: bool = False

    def running(self) -> int:
        return sum(box.busy_until is not None for box in self.live)

    def drained(self) -> bool:
        return self.seen == len(self.arrivals) and not self.queue and not self.running()

    def finished(self) -> bool:
        return self.drained() and not self.live

    def advance(self, until: float) -> None:
        """Play every arrival, boot and completion up to ``until``, in time order."""
        while (event := self._next_event()) is not None and event[0] <= until:
            at, kind, box = event
            if kind == 0:
                box.busy_until, box.last_activity = None, at
                self.completed += 1
            elif kind == 1:
                box.ready = True
            else:
                if not any(live.ready for live in self.live):
                    self.cold_starts += 1
                self.queue.append(self.arrivals[self.seen])
                self.seen += 1
            self._dispatch(at)

    def _next_event(self) -> tuple[float, int, Box | None] | None:
        # Ties: a completion frees the instance before a boot or an arrival at the same time.
        events = [(box.busy_until, 0, box) for box in self.live if box.busy_until is not None]
        events += [(box.ready_at, 1, box) for box in self.live if not box.ready]
        if self.seen < len(self.arrivals):
            events.append((self.arrivals[self.seen], 2, None))
        return min(events, key=lambda event: event[:2], default=None)

    def _dispatch(self, now: float) -> None:
        for box in self.live:
            if self.queue and box.ready and box.busy_until is None:
                self.waits.append(now - self.queue.popleft())
                box.busy_until = now + self.params.service

    def view(self, now: float) -> View:
        instances = tuple(
            Instance(
                id=box.id,
                live_since=box.live_since,
                ready=box.ready,
                last_activity=now if box.busy_until is not None else box.last_activity,
            )
            for box in self.live
        )
        first = max(self.seen - HISTORY_ARRIVALS, bisect_left(self.arrivals, now - HISTORY_SECONDS))
        return View(
            now=now,
            backlog_items=len(self.queue) + self.running(),
            instances=instances,
            arrivals=tuple(self.arrivals[first : self.seen]),
        )

    def apply(self, decided: Plan, now: float) -> None:
        for step in decided.steps:
            if step.action == Action.RELEASE:
                self._release(step.instance_id, now)
            elif step.action == Action.PROVISION:
                self._provision(now)

    def _release(self, instance_id: object, now: float) -> None:
        box = next(box for box in self.live if box.id == instance_id)
        if box.busy_until is not None:
            self.policy_bugs += 1  # it would kill a running job
            return
        box.released_at = now
        self.live.remove(box)
        self.gone.append(box)

    def _provision(self, now: float) -> None:
        if len(self.live) >= self.policy.max_instances:
            self.policy_bugs += 1
            return
        self.provisions += 1
        box_id = self.provisions
        self.live.append(Box(box_id, live_since=now, ready_at=now + self.params.boot))

    def next_tick(self, tick: int, decided: Plan) -> int:
        """The next tick at which ``plan`` may answer differently: at or after the next
        arrival, boot or completion, or the moment the plan named. In between the view
        differs only in ``now``, which ``plan`` promises not to matter before then;
        ``every_tick`` checks that promise by asking at every tick."""
        if self.every_tick:
            return tick + 1
        event = self._next_event()
        moments = [moment for moment in (event and event[0], decided.next_decision_at) if moment]
        if not moments:
            return tick + 1
        return max(tick + 1, math.ceil(min(moments) / self.params.tick - 1e-9))

    def charge_undone(self, now: float) -> None:
        """Jobs still queued when the run is given up wait until a ready machine, free from
        now, would have started them."""
        free = max([now, *(box.busy_until for box in self.live if box.busy_until)])
        for position, arrival in enumerate(self.queue):
            self.waits.append(free + position * self.params.service - arrival)


def run_planned(
    name: str, arrivals: list[float], params: Params, policy: Policy, *, every_tick: bool = False
) -> Outcome:
    sim = Sim(arrivals, params, policy, every_tick=every_tick)
    periods = busy_periods(arrivals, params.service)
    end = periods[-1].end  # where the trace ends: a ready machine finishes its last job
    give_up = arrivals[-1] + SAFETY_CAP_SECONDS
    tick = 0
    while True:
        now = tick * params.tick
        sim.advance(now)
        if sim.finished() or (sim.drained() and now >= end) or now >= give_up:
            break
        decided = plan(sim.view(now), policy)
        sim.apply(decided, now)
        tick = sim.next_tick(tick, decided)
    sim.charge_undone(now)
    for box in sim.live:
        box.released_at = now
    return Outcome(
        name=name,
        billed_seconds=sum(billed_seconds(box, end, params.billing) for box in sim.gone + sim.live),
        provisions=sim.provisions,
        cold_starts=sim.cold_starts,
        waits=sim.waits,
        undone=len(arrivals) - sim.completed,
        policy_bugs=sim.policy_bugs,
        unavoidable_wait=ready_wait(periods, arrivals, params.service),
    )


def billed_seconds(box: Box, end: float, billing: Billing) -> float:
    """What a machine is billed in the window. One still up when the window closes (and
    done with the trace's jobs) is billed to the close by the second, at least its minimum:
    the unit it started then goes on serving after the window."""
    until = min(box.released_at, max(end, box.last_activity or box.live_since))
    if until < box.released_at:
        return max(until - box.live_since, billing.minimum_seconds)
    return billing.billed(box.released_at - box.live_since)


@dataclass(frozen=True)
class BusyPeriod:
    start: float
    end: float
    jobs: tuple[int, ...]  # indices into the arrivals


def busy_periods(arrivals: list[float], service: float) -> list[BusyPeriod]:
    """The FIFO busy periods of an always-ready server."""
    periods: list[BusyPeriod] = []
    for index, arrival in enumerate(arrivals):
        if periods and arrival < periods[-1].end:
            last = periods[-1]
            periods[-1] = BusyPeriod(last.start, last.end + service, (*last.jobs, index))
        else:
            periods.append(BusyPeriod(arrival, arrival + service, (index,)))
    return periods


def ready_wait(periods: list[BusyPeriod], arrivals: list[float], service: float) -> float:
    """The waiting an always-ready machine imposes: the queue inside each busy period."""
    return sum(
        period.start + position * service - arrivals[job]
        for period in periods
        for position, job in enumerate(period.jobs)
    )


def delay_effects(run: list[BusyPeriod], delay: float, service: float) -> tuple[float, float]:
    """The extra waiting when the run's instance is ready ``delay`` after its first arrival,
    and how much later the run's last job then ends.

    Job ``k`` of the run then starts at ``max(R + k * service, its always-ready start)``;
    inside a busy period the excess is the same for every job, and each gap after it
    shrinks the excess by the gap, so the sum stops at the first period it does not reach.
    """
    extra, jobs_before = 0.0, 0
    for period in run:
        excess = run[0].start + delay + jobs_before * service - period.start
        if excess <= 0:
            return extra, 0.0
        extra += excess * len(period.jobs)
        jobs_before += len(period.jobs)
    return extra, excess


def longest_paying_delay(params: Params) -> float:
    """Delaying a run by ``d`` adds at least ``d`` of waiting and saves at most ``d`` plus
    one billing unit of GPU time, so a delay pays only below this."""
    price, wait_value = params.price, params.wait_value
    return params.billing.granularity_seconds * price / (wait_value - price)


def run_cost(
    run: list[BusyPeriod], params: Params, earliest_delay: float = 0.0, *, last: bool = False
) -> tuple[float, float, float]:
    """The cheapest ``(total $, billed seconds, delay)`` for one instance serving ``run``,
    ready no sooner than ``earliest_delay`` after the run's first arrival. The ``last`` run
    is up when the window closes, and billed to it by the second like any machine then."""
    billing, jobs = params.billing, sum(len(period.jobs) for period in run)
    per_second_price, per_second_wait = params.price / 3600, params.wait_value / 3600
    lifetime = run[-1].end - run[0].start + params.boot

    def ready_after(delay: float) -> tuple[float, float, float]:
        waiting, later_end = delay_effects(run, delay, params.service)
        seconds = lifetime - delay + later_end
        billed = max(seconds, billing.minimum_seconds) if last else billing.billed(seconds)
        return billed * per_second_price + waiting * per_second_wait, billed, delay

    best = ready_after(earliest_delay)
    shortest = jobs * params.service + params.boot  # a delay cannot compress it further
    for threshold in billed_thresholds(lifetime, billing):
        delay = lifetime - threshold
        if threshold < shortest or delay >= earliest_delay + longest_paying_delay(params):
            break
        if delay > earliest_delay:
            best = min(best, ready_after(delay))
    return best


def billed_thresholds(lifetime: float, billing: Billing):
    """The lifetimes at or below ``lifetime`` where the bill steps down, longest first,
    made one at a time: the search stops after the few that a delay can pay for."""
    unit, minimum = billing.granularity_seconds, billing.minimum_seconds
    step = int(lifetime // unit)
    if minimum > unit * step:
        yield minimum
    while step >= 0:
        value = unit * step
        if unit * (step + 1) > minimum > value:
            yield minimum
        yield value
        step -= 1


def optimum(arrivals: list[float], params: Params) -> Outcome:
    """The clairvoyant's schedule (see the module docstring), exactly."""
    periods = busy_periods(arrivals, params.service)
    billing = params.billing
    horizon = (
        params.boot
        + 2 * (billing.granularity_seconds + billing.minimum_seconds)
        + longest_paying_delay(params)
    )
    # best[i]: (total $, billed seconds, where the last run starts, its delay) for periods[:i]
    best: list[tuple[float, float, int, float]] = [(0.0, 0.0, 0, 0.0)]
    for last in range(len(periods)):
        candidates = []
        for first in range(last, -1, -1):
            gap = periods[first].start - periods[first - 1].end if first else math.inf
            if gap < params.boot:
                continue  # one instance at a time: the next could not boot in the gap
            # Nothing is provisioned before the trace starts, at 0.
            earliest = max(0.0, params.boot - periods[first].start)
            cost, billed, delay = run_cost(
                periods[first : last + 1], params, earliest, last=last == len(periods) - 1
            )
            candidates.append((best[first][0] + cost, best[first][1] + billed, first, delay))
            if gap > horizon:
                break
        best.append(min(candidates))
    waits = [0.0] * len(arrivals)
    end, runs = len(periods), 0
    while end:
        _, _, first, delay = best[end]
        ready, jobs_before = periods[first].start + delay, 0
        for period in periods[first:end]:
            for job in period.jobs:
                always_ready_start = period.start + (job - period.jobs[0]) * params.service
                start = max(ready + jobs_before * params.service, always_ready_start)
                waits[job] = start - arrivals[job]
                jobs_before += 1
        end, runs = first, runs + 1
    return Outcome(
        name="optimum",
        billed_seconds=best[-1][1],
        provisions=runs,
        cold_starts=0,
        waits=waits,
        undone=0,
        unavoidable_wait=ready_wait(periods, arrivals, params.service),
    )


def percentile(values: list[float], share: float) -> float:
    """Nearest rank."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[math.ceil(share * len(ordered)) - 1]


@dataclass(frozen=True)
class Trace:
    name: str
    arrivals: list[float]
    periodic: bool  # the file opens with "# periodic": clock-driven work to predict


def read_trace(path: Path) -> Trace:
    lines = path.read_text().splitlines()
    periodic = bool(lines) and lines[0].strip() == "# periodic"
    arrivals = sorted(float(line) for line in lines if line.strip() and not line.startswith("#"))
    if not arrivals:
        raise SystemExit(f"{path}: no arrivals")
    return Trace(path.stem, arrivals, periodic)


# name, idle grace (None: adaptive), tick (None: ours)
BASELINES = (
    ("every tick", 0.0, None),
    ("fixed B", "break-even", None),
    ("SkyPilot 5m", 300.0, 60.0),
    ("KEDA 300s", 300.0, 30.0),
    ("Modal 60s", 60.0, None),
    ("always-on", math.inf, None),
)


def replay(arrivals: list[float], params: Params) -> list[Outcome]:
    """Ours first, then the baselines (none of which predicts)."""
    break_even = params.policy(None).break_even_seconds
    outcomes = [run_planned("ours", arrivals, params, params.policy(None))]
    for name, grace, tick in BASELINES:
        grace = break_even if grace == "break-even" else grace
        ticked = dataclasses.replace(params, tick=tick or params.tick)
        outcomes.append(run_planned(name, arrivals, ticked, ticked.policy(grace, predict=False)))
    return outcomes


def best_fixed_grace(arrivals: list[float], params: Params) -> tuple[float, float]:
    """``(A, grace)`` of the fixed grace that would have cost least on this very trace,
    chosen in hindsight: what no idle-grace rule could beat without knowing the trace.

    A 20% geometric grid from one tick to the longest life (and 0, and always-on), then
    two finer passes between the best point's neighbours, the last one a tick apart.
    """
    scores: dict[float, float] = {}

    def score(grace: float) -> float:
        if grace not in scores:
            fixed = params.policy(grace, predict=False)
            scores[grace] = run_planned("", arrivals, params, fixed).avoidable(params)
        return scores[grace]

    longest = params.policy(None).max_lifetime_seconds
    grid = [0.0, math.inf]
    grace = params.tick
    while grace < longest:
        grid.append(round(grace))
        grace *= 1.2
    grid.sort()
    for steps in (24, None):
        best = min(grid, key=lambda grace: (score(grace), grace))
        where = grid.index(best)
        low = grid[max(where - 1, 0)]
        high = grid[min(where + 1, len(grid) - 1)]
        if math.isinf(high):
            high = longest
        if math.isinf(low) or high <= low:
            break
        spacing = (high - low) / steps if steps else params.tick
        count = int((high - low) / spacing)
        grid = sorted({*grid, *(low + index * spacing for index in range(1, count + 1))})
    best = min(scores, key=lambda grace: (scores[grace], grace))
    return scores[best], best


def print_trace(title: str, params: Params, outcomes: list[Outcome], best: Outcome) -> None:
    print(f"\n{title}")
    print(
        f"  {'policy':<12} {'GPU-h':>7} {'GPU $':>8} {'prov':>5} {'cold':>5} "
        f"{'p50 s':>6} {'p95 s':>6} {'undone':>6} {'total $':>9} {'A $':>8} {'A/opt':>7}"
    )
    for outcome in [best, *outcomes]:
        avoidable = outcome.avoidable(params)
        print(
            f"  {outcome.name:<12} {outcome.billed_seconds / 3600:>7.3f} "
            f"{outcome.gpu_cost(params):>8.2f} {outcome.provisions:>5} {outcome.cold_starts:>5} "
            f"{percentile(outcome.waits, 0.5):>6.0f} {percentile(outcome.waits, 0.95):>6.0f} "
            f"{outcome.undone:>6} {outcome.total(params):>9.2f} {avoidable:>8.2f} "
            f"{avoidable / best.avoidable(params):>6.3f}x"
        )
        if outcome.policy_bugs:
            print(f"  {'':<12} ! {outcome.policy_bugs} refused step(s) (policy bug)")


def adversary_after_release(params: Params, policy: Policy) -> list[float]:
    """Each next job arrives one second after ``policy`` released the instance: the trace is
    written while the policy runs, so it sees what it has been taught."""
    arrivals = [0.0]
    sim, tick = Sim(arrivals, params, policy), 0
    while len(arrivals) < ADVERSARY_JOBS:
        now = tick * params.tick
        sim.advance(now)
        decided = plan(sim.view(now), policy)
        sim.apply(decided, now)
        if sim.finished():
            arrivals.append(max(sim.gone[-1].released_at, arrivals[-1]) + 1.0)
        elif now > arrivals[-1] + SAFETY_CAP_SECONDS:
            break  # it never lets go: the adversary has nothing to exploit
        tick = sim.next_tick(tick, decided)
    return arrivals


def avoidable_ratio(arrivals: list[float], params: Params, policy: Policy) -> float:
    outcome = run_planned("", arrivals, params, policy)
    return outcome.avoidable(params) / optimum(arrivals, params).avoidable(params)


@dataclass(frozen=True)
class Adversarial:
    after_release: float  # ours against the after-release adversary, A over the optimum's
    constant_gaps: float  # our worst over constant gaps up to 1.5 cold break-evens
    floor: float  # what the after-release adversary forces on any deterministic policy
    floor_grace: float  # the fixed grace that does best against it

    @property
    def vs_floor(self) -> float:
        return self.after_release / self.floor


def adversarial(params: Params) -> Adversarial:
    """Ours against the adversaries, and the floor at the same number of cycles.

    The floor: one cycle of the after-release adversary costs a policy its held idle time
    ``g``, a boot and a lead waiting the boot, while the clairvoyant pays ``min(g, boot)``.
    Each cycle's ratio depends only on the grace used in it, so the best fixed grace against
    the adversary (searched here) bounds every deterministic policy, adaptive ones included.
    """
    ours = params.policy(None)
    unit = ours.break_even_seconds
    after_release = avoidable_ratio(adversary_after_release(params, ours), params, ours)
    constant = []
    for step in range(0, int(1.5 * ours.cold_break_even_seconds) + 1, max(int(unit // 4), 1)):
        gap = params.service + step
        arrivals = [index * gap for index in range(ADVERSARY_JOBS)]
        constant.append(avoidable_ratio(arrivals, params, ours))
    graces = {unit * quarter / 4 for quarter in range(13)} | {ours.cold_break_even_seconds}
    floor, grace = min(
        (avoidable_ratio(adversary_after_release(params, fixed), params, fixed), grace)
        for grace in sorted(graces)
        for fixed in [params.policy(grace, predict=False)]
    )
    return Adversarial(after_release, max(constant), floor, grace)


@dataclass
class Scorecard:
    """The worst of each target's figure over every trace and billing rule."""

    vs_hindsight: float = 0.0
    beats_every_baseline: bool = True
    peer_margin: float | None = None
    vs_adversarial_floor: float | None = None
    periodic_gain: float | None = None
    failed: bool = False

    def add_trace(self, trace: Trace, params: Params, outcomes: list[Outcome], hindsight: float):
        ours, *others = (outcome.avoidable(params) for outcome in outcomes)
        self.vs_hindsight = max(self.vs_hindsight, ours / hindsight)
        self.beats_every_baseline &= all(
            ours <= other * (1 + NO_REGRET_SLACK) + 1e-9 for other in others
        )
        peer = min(outcome.avoidable(params) for outcome in outcomes if outcome.name in PEERS)
        if peer >= PEER_FAR * hindsight:
            self.peer_margin = max(self.peer_margin or 0.0, ours / peer)
        if trace.periodic:
            gain = 1 - ours / hindsight
            self.periodic_gain = min(
                gain, gain if self.periodic_gain is None else self.periodic_gain
            )
        self.failed |= any(outcome.undone or outcome.policy_bugs for outcome in outcomes)

    def add_adversarial(self, figures: Adversarial) -> None:
        self.vs_adversarial_floor = max(self.vs_adversarial_floor or 0.0, figures.vs_floor)

    def result_line(self) -> str:
        def figure(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.3f}"

        return (
            f"RESULT vs_hindsight={self.vs_hindsight:.3f} "
            f"beats_every_baseline={'yes' if self.beats_every_baseline else 'no'} "
            f"peer_margin={figure(self.peer_margin)} "
            f"vs_adversarial_floor={figure(self.vs_adversarial_floor)} "
            f"periodic_gain={figure(self.periodic_gain)}"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trace", action="append", type=Path, help="arrival trace (repeatable)")
    parser.add_argument(
        "--billing", action="append", choices=[rule.value for rule in Rule], help="(repeatable)"
    )
    parser.add_argument("--wait-value", type=float, default=20.0, help="$ per waiting hour")
    parser.add_argument("--service-seconds", type=float, default=20.0)
    parser.add_argument("--boot-seconds", type=float, default=180.0)
    parser.add_argument("--minimum-billed-seconds", type=float, default=60.0, help="per_second")
    parser.add_argument("--price", type=float, default=3.44, help="per hour")
    parser.add_argument("--tick-seconds", type=float, default=5.0)
    parser.add_argument("--no-adversary", action="store_true", help="skip the adversarial line")
    args = parser.parse_args(argv)
    if args.wait_value <= args.price:
        parser.error("--wait-value must exceed --price (see the module docstring)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rules = args.billing or [rule.value for rule in Rule]
    paths = args.trace or sorted(TRACES_DIR.glob("*.txt"))
    traces = [read_trace(path) for path in paths]
    card = Scorecard()
    for rule in rules:
        billing = billing_for({"rule": rule, "minimum_seconds": args.minimum_billed_seconds})
        params = Params(
            service=args.service_seconds,
            boot=args.boot_seconds,
            billing=billing,
            price=args.price,
            tick=args.tick_seconds,
            wait_value=args.wait_value,
        )
        print(
            f"\n== billing {rule} (unit {billing.granularity_seconds:g} s, minimum "
            f"{billing.minimum_seconds:g} s): service {params.service:g} s, boot "
            f"{params.boot:g} s, ${params.price:g}/h GPU, ${params.wait_value:g}/h waiting, "
            f"tick {params.tick:g} s; A = total less the waiting an always-ready machine has"
        )
        for trace in traces:
            arrivals = trace.arrivals
            outcomes, best = replay(arrivals, params), optimum(arrivals, params)
            hindsight, grace = best_fixed_grace(arrivals, params)
            title = (
                f"{trace.name} / {rule}{' (periodic)' if trace.periodic else ''}: "
                f"{len(arrivals)} arrivals over {arrivals[-1] / 3600:.1f} h, break-even "
                f"{params.policy(None).break_even_seconds:.0f} s"
            )
            print_trace(title, params, outcomes, best)
            ours = outcomes[0].avoidable(params)
            print(
                f"  hindsight: the best fixed grace for this trace ({grace:.0f} s) has "
                f"A ${hindsight:.2f} ({hindsight / best.avoidable(params):.3f}x the optimum); "
                f"ours is {ours / hindsight:.3f}x it"
            )
            card.add_trace(trace, params, outcomes, hindsight)
        if not args.no_adversary:
            figures = adversarial(params)
            card.add_adversarial(figures)
            print(
                f"ADVERSARIAL {rule} ({ADVERSARY_JOBS} cycles): ours {figures.after_release:.3f}x "
                f"the optimum against the after-release adversary, which forces any "
                f"deterministic policy to >= {figures.floor:.3f}x (best fixed grace against "
                f"it: {figures.floor_grace:.0f} s), so {figures.vs_floor:.3f}x the floor; "
                f"worst constant gap {figures.constant_gaps:.3f}x"
            )
    print(card.result_line())
    return 1 if card.failed else 0


if __name__ == "__main__":
    sys.exit(main())
