"""The on-demand GPU policy replayed over arrival traces on a virtual clock, judged on money
and on the time leads wait for a reply together.

    python bench/gpu_policy.py [--trace FILE ...] [--billing per_second|per_started_hour ...]
        [--wait-value 20] [--service-seconds 20] [--boot-seconds 180]
        [--minimum-billed-seconds 60] [--price 3.44] [--tick-seconds 5] [--hindsight]

Without ``--trace`` it replays the shipped traces under ``bench/traces/`` (steady, bursty,
diurnal, sparse; ``bench/traces/generate.py`` writes them), under both billing rules
(``engines/billing.py``) unless ``--billing`` names one. A trace file holds one arrival
time in seconds per line.

The figure. ``total = GPU $ + WAIT_VALUE x waiting hours``: what the GPU bill says plus
what the leads' waiting is worth. ``--wait-value`` (default $20 an hour of a lead waiting)
must exceed the GPU price: below it waiting would be cheaper than the GPU, and the exact
optimum below assumes it is not.

Model. Each arrival is one job needing ``--service-seconds`` of GPU time. An instance serves
the FIFO queue one job at a time, and only once it is ready, ``--boot-seconds`` after it was
provisioned (provision + model load, billed). An instance's cost is its lifetime from
provision to release, billed by the rule, at ``--price`` per hour. A job's wait is from its
arrival to the start of its service.

The clock starts at 0 and ticks every ``--tick-seconds`` (the Celery beat). Between ticks,
arrivals, boot completions and job completions happen at their exact times. At each tick
the real ``engines.gpu.policy.plan`` sees a ``View``: the jobs waiting or running, each
instance (``last_activity`` is now while it runs a job, else when it last finished one),
every arrival seen so far, nothing spent today and no hold-warm. Its PROVISION and RELEASE
steps are applied as they come, except that releasing an instance with a job running, or
provisioning past ``max_instances`` (1), is refused and counted as a policy bug. While no
instance is up and nothing waits, ``plan`` can only answer nothing, so the clock jumps to
the first tick at or after the next arrival. A trace is a window of a service that goes
on: it ends when a ready machine would finish the last job, and nobody is billed for
idling after that (no policy can know the trace has ended), only for serving its jobs; a
machine still up then is billed to the end by the second, since the billing unit it
started goes on serving after the window.

Policies, all through that same loop and starting from nothing: ours (the shipped adaptive
grace); release at every tick; the fixed break-even grace (the ski-rental rule); a 5-minute
idle checked every 60 s (SkyPilot autostop's default); a 300 s cooldown polled every 30 s
(KEDA's); a 60 s window (Modal's ``scaledown_window``); always-on (a grace longer than any
trace, as an admin would set it; recycled at the maximum lifetime like the others).

Optimum (computed, not simulated): a clairvoyant with one instance at a time, the same boot
and billing. An instance serves a run of consecutive busy periods of the FIFO queue (the
periods an always-ready server would have; no instance ever stops inside one, since the
queue is not empty there). For a run it picks when the instance is ready, ``R``: at the
run's first arrival (provisioned ``boot`` ahead, so nobody waits for a boot; nothing is
provisioned before the trace starts at 0), or later, letting jobs wait to shorten the
billed lifetime, which only pays where the billing rounds (a started hour). A dynamic
programme over the gaps between busy periods picks, for each gap of at least a boot, hold
through it or release and start a new run, exactly; no policy here can score below it.
Runs never reach back across a gap longer than ``boot + 2 x (unit + minimum) +`` the
longest delay that can pay, since splitting there never costs more.

Because the clairvoyant boots ahead of every arrival, a cold start costs it nothing but
the boot, while any online policy pays the lead's wait too. ``--hindsight`` prints, per
trace, the fixed grace that would have done best on that very trace: what no idle-grace
rule can beat without knowing the trace.

Adversarial traces are made online inside the bench: an adversary that watches our policy
and sends the next job one second after each release, and constant gaps up to 1.5 times
the cold break-even. Their worst ratio is printed with what the after-release adversary
forces on any deterministic policy (the best fixed grace against it, searched) and the
money-only ski-rental bound, ``2 + tick / B``.

Prints, per trace, billing rule and policy: GPU-hours and their cost, provisions, cold
starts (jobs arriving while no instance was ready), p50 and p95 wait, work left undone,
``total`` and its ratio to the optimum. The last line is
``RESULT total_ratio_vs_optimal=<our worst over the shipped traces and rules>
beats_every_baseline=<yes|no>`` (no worse than any baseline on ``total`` on every shipped
trace and rule). Exits non-zero if any work is left undone or a policy asked for something
refused.
"""

import argparse
import dataclasses
import math
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from engines.billing import Billing, Rule, billing_for
from engines.gpu.policy import Action, Instance, Plan, Policy, View, plan

ROOT = Path(__file__).resolve().parents[1]

TRACES_DIR = ROOT / "bench" / "traces"
DEFAULT_TRACES = ("steady", "bursty", "diurnal", "sparse")
DAY = 24 * 3600.0
# How long after the last arrival a run that has not drained its queue is given up.
RUN_CAP_SECONDS = DAY
# The adversary's jobs: enough cycles for the adaptive grace to learn and be fooled.
ADVERSARY_JOBS = 40


@dataclass(frozen=True)
class Params:
    service: float
    boot: float
    billing: Billing
    price: float
    tick: float
    wait_value: float  # USD per hour of a lead waiting

    def policy(self, idle_grace_seconds: float | None) -> Policy:
        return Policy(
            hourly_price=self.price,
            boot_seconds=self.boot,
            billing_granularity_seconds=self.billing.granularity_seconds,
            minimum_billed_seconds=self.billing.minimum_seconds,
            idle_grace_seconds=idle_grace_seconds,
            wait_value_per_hour=self.wait_value,
            items_per_second=1 / self.service,
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

    def gpu_cost(self, params: Params) -> float:
        return self.billed_seconds / 3600 * params.price

    def total(self, params: Params) -> float:
        return self.gpu_cost(params) + sum(self.waits) / 3600 * params.wait_value


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
        return View(
            now=now,
            backlog_items=len(self.queue) + self.running(),
            instances=instances,
            arrivals=tuple(self.arrivals[: self.seen]),
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

    def next_tick(self, tick: int) -> int:
        if self.live or self.queue or self.seen == len(self.arrivals):
            return tick + 1
        # Nothing up and nothing waiting: plan has nothing to say until the next arrival.
        return max(tick + 1, math.ceil(self.arrivals[self.seen] / self.params.tick))


def window_end(arrivals: list[float], service: float) -> float:
    """Where the trace ends: when a ready machine would finish its last job."""
    return busy_periods(arrivals, service)[-1].end


def run_planned(name: str, arrivals: list[float], params: Params, policy: Policy) -> Outcome:
    sim = Sim(arrivals, params, policy)
    end = window_end(arrivals, params.service)
    give_up = arrivals[-1] + RUN_CAP_SECONDS
    tick = 0
    while True:
        now = tick * params.tick
        sim.advance(now)
        if sim.finished() or (sim.drained() and now >= end) or now >= give_up:
            break
        sim.apply(plan(sim.view(now), policy), now)
        tick = sim.next_tick(tick)
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
    unit = billing.granularity_seconds
    thresholds = {billing.minimum_seconds, *(unit * k for k in range(int(lifetime // unit) + 1))}
    for threshold in sorted(thresholds, reverse=True):
        delay = lifetime - threshold
        if threshold < shortest or delay >= earliest_delay + longest_paying_delay(params):
            break
        if delay > earliest_delay:
            best = min(best, ready_after(delay))
    return best


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
    )


def percentile(values: list[float], share: float) -> float:
    """Nearest rank."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[math.ceil(share * len(ordered)) - 1]


def read_trace(path: Path) -> list[float]:
    lines = path.read_text().split()
    arrivals = sorted(float(line) for line in lines)
    if not arrivals:
        raise SystemExit(f"{path}: no arrivals")
    return arrivals


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
    """Ours first, then the baselines."""
    break_even = params.policy(None).break_even_seconds
    outcomes = [run_planned("ours", arrivals, params, params.policy(None))]
    for name, grace, tick in BASELINES:
        grace = break_even if grace == "break-even" else grace
        ticked = dataclasses.replace(params, tick=tick or params.tick)
        outcomes.append(run_planned(name, arrivals, ticked, ticked.policy(grace)))
    return outcomes


def best_fixed_grace(arrivals: list[float], params: Params) -> tuple[float, float]:
    """The fixed grace that would have cost least on this very trace, chosen in hindsight,
    and its total: what no idle-grace rule could beat without knowing the trace."""
    unit = params.policy(None).break_even_seconds
    graces = sorted({0.0, *(unit * 2**k / 4 for k in range(10)), math.inf})
    return min(
        (run_planned("", arrivals, params, params.policy(grace)).total(params), grace)
        for grace in graces
    )


def print_trace(title: str, params: Params, outcomes: list[Outcome], best: Outcome) -> None:
    print(f"\n{title}")
    print(
        f"  {'policy':<12} {'GPU-h':>7} {'GPU $':>8} {'prov':>5} {'cold':>5} "
        f"{'p50 s':>6} {'p95 s':>6} {'undone':>6} {'total $':>9} {'vs opt':>7}"
    )
    for outcome in [best, *outcomes]:
        total = outcome.total(params)
        print(
            f"  {outcome.name:<12} {outcome.billed_seconds / 3600:>7.3f} "
            f"{outcome.gpu_cost(params):>8.2f} {outcome.provisions:>5} {outcome.cold_starts:>5} "
            f"{percentile(outcome.waits, 0.5):>6.0f} {percentile(outcome.waits, 0.95):>6.0f} "
            f"{outcome.undone:>6} {total:>9.2f} {total / best.total(params):>6.3f}x"
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
        sim.apply(plan(sim.view(now), policy), now)
        if sim.finished():
            arrivals.append(max(sim.gone[-1].released_at, arrivals[-1]) + 1.0)
        elif now > arrivals[-1] + RUN_CAP_SECONDS:
            break  # it never lets go: the adversary has nothing to exploit
        tick = sim.next_tick(tick)
    return arrivals


def total_ratio(arrivals: list[float], params: Params, policy: Policy) -> float:
    outcome = run_planned("", arrivals, params, policy)
    return outcome.total(params) / optimum(arrivals, params).total(params)


def adversarial(params: Params) -> tuple[float, float, float]:
    """Our worst ratio over the adversarial traces, and what the after-release adversary
    forces on any deterministic policy, with the grace that does best against it.

    The floor: one cycle of that adversary costs the policy its held idle time ``g``, a
    boot and a lead waiting the boot, while the clairvoyant pays ``min(g, boot)``. Each
    cycle's ratio depends only on the grace used in it, so the best fixed grace against the
    adversary (searched here) bounds every deterministic policy, adaptive ones included.
    """
    ours = params.policy(None)
    unit = ours.break_even_seconds
    traces = [adversary_after_release(params, ours)]
    for step in range(0, int(1.5 * ours.cold_break_even_seconds) + 1, max(int(unit // 4), 1)):
        gap = params.service + step
        traces.append([index * gap for index in range(ADVERSARY_JOBS)])
    worst = max(total_ratio(arrivals, params, ours) for arrivals in traces)
    graces = {unit * quarter / 4 for quarter in range(13)} | {ours.cold_break_even_seconds}
    forced = min(
        (total_ratio(adversary_after_release(params, fixed), params, fixed), grace)
        for grace in sorted(graces)
        for fixed in [params.policy(grace)]
    )
    return worst, *forced


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
    parser.add_argument(
        "--hindsight", action="store_true", help="also find the best fixed grace per trace"
    )
    args = parser.parse_args(argv)
    if args.wait_value <= args.price:
        parser.error("--wait-value must exceed --price (see the module docstring)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rules = args.billing or [rule.value for rule in Rule]
    paths = args.trace or [TRACES_DIR / f"{name}.txt" for name in DEFAULT_TRACES]
    worst, beats_all, failed = 0.0, True, False
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
            f"tick {params.tick:g} s"
        )
        for path in paths:
            arrivals = read_trace(path)
            outcomes, best = replay(arrivals, params), optimum(arrivals, params)
            title = (
                f"{path.stem} / {rule}: {len(arrivals)} arrivals over "
                f"{arrivals[-1] / 3600:.1f} h, break-even "
                f"{params.policy(None).break_even_seconds:.0f} s"
            )
            print_trace(title, params, outcomes, best)
            if args.hindsight:
                total, grace = best_fixed_grace(arrivals, params)
                print(
                    f"  hindsight: the best fixed grace for this trace ({grace:.0f} s) scores "
                    f"{total / best.total(params):.3f}x"
                )
            ours = outcomes[0].total(params)
            worst = max(worst, ours / best.total(params))
            beats_all &= all(ours <= other.total(params) + 1e-9 for other in outcomes[1:])
            failed |= any(outcome.undone or outcome.policy_bugs for outcome in outcomes)
        if not args.no_adversary:
            worst_adversarial, forced, forced_grace = adversarial(params)
            tick_share = params.tick / params.policy(None).break_even_seconds
            print(
                f"ADVERSARIAL {rule}: worst total_ratio_vs_optimal={worst_adversarial:.3f}; "
                f"the after-release adversary forces any deterministic policy to "
                f">= {forced:.3f} (best fixed grace against it: {forced_grace:.0f} s); "
                f"money-only ski-rental bound 2 + tick/B = {2 + tick_share:.3f}"
            )
    verdict = "yes" if beats_all else "no"
    print(f"RESULT total_ratio_vs_optimal={worst:.3f} beats_every_baseline={verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
