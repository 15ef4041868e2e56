"""The on-demand GPU policy replayed over arrival traces on a virtual clock.

    python bench/gpu_policy.py [--trace FILE ...] [--service-seconds 20] [--boot-seconds 180]
        [--billing-seconds 1] [--minimum-billed-seconds 60] [--price 3.44] [--tick-seconds 5]

Without ``--trace`` it replays the shipped traces under ``bench/traces/`` (steady, bursty,
diurnal, sparse; ``bench/traces/generate.py`` writes them). A trace file holds one arrival
time in seconds per line.

Model. Each arrival is one job needing ``--service-seconds`` of GPU time. An instance serves
the FIFO queue one job at a time, and only once it is ready, ``--boot-seconds`` after it was
provisioned (provision + model load, billed). An instance's cost is its lifetime from
provision to release, rounded up to ``--billing-seconds`` and at least
``--minimum-billed-seconds``, at ``--price`` per hour; GPU-hours are the billed lifetimes.

The clock starts at 0 and ticks every ``--tick-seconds`` (the Celery beat). Between ticks,
arrivals, boot completions and job completions happen at their exact times. At each tick
the real ``engines.gpu_policy.plan`` sees a ``View``: the jobs waiting or running, each
instance (``last_activity`` is now while it runs a job, else when it last finished one),
every arrival seen so far, nothing spent today and no hold-warm. Its PROVISION and RELEASE
steps are applied as they come, except that releasing an instance with a job running, or
provisioning past ``max_instances``, is refused and counted as a policy bug. While no
instance is up and nothing waits, ``plan`` can only answer nothing, so the clock jumps to
the first tick at or after the next arrival. A run ends once every job is done and every
instance released, or a day after the last arrival (instances still up are billed to then).

Policies: ours (the adaptive grace), the fixed break-even grace (the ski-rental rule, at
most 2x optimal), release at every tick (grace 0), all through that same loop; and
always-on, one instance provisioned at 0 and released when the last job completes.

Optimum (computed, not simulated). A clairvoyant always-ready server has the busy periods
of the FIFO queue (each job starts at max(arrival, previous finish)). It covers runs of
consecutive busy periods with one instance each, provisioned ``boot`` before the run's
first arrival and released at its last completion, billed like any instance; a dynamic
programme over the busy periods finds the cheapest split into runs, exactly. With per-second
billing and a minimum below the boot, that is the first boot + the busy time + for each
idle gap min(gap, break-even), up to sub-second rounding per instance. Its waits are only
queueing (it never waits for a boot), so a policy whose jobs wait for boots can come in
slightly under it.

Prints, per trace and policy: GPU-hours, cost, provisions, cold starts (jobs arriving
while no instance was ready), p95 wait before a job starts, work left undone and the cost
ratio to the optimum. The last line is ``RESULT cost_ratio_vs_optimal=<our worst ratio>``.
Exits non-zero if any work is left undone or the policy asked for something refused.
"""

import argparse
import math
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engines.gpu_policy import Action, Instance, Plan, Policy, View, plan  # noqa: E402

TRACES_DIR = ROOT / "bench" / "traces"
DEFAULT_TRACES = ("steady", "bursty", "diurnal", "sparse")
DAY = 24 * 3600.0
# How long after the last arrival a policy that never releases is allowed to run.
RUN_CAP_SECONDS = DAY


@dataclass(frozen=True)
class Params:
    service: float
    boot: float
    granularity: float
    minimum: float
    price: float
    tick: float

    def billed(self, lifetime: float) -> float:
        granularity = max(self.granularity, 1e-9)
        # The epsilon keeps float noise (179.99999999) from buying a whole extra unit.
        units = math.ceil(lifetime / granularity - 1e-9)
        return max(units * granularity, self.minimum)

    def policy(self, idle_grace_seconds: float | None) -> Policy:
        return Policy(
            hourly_price=self.price,
            boot_seconds=self.boot,
            billing_granularity_seconds=self.granularity,
            minimum_billed_seconds=self.minimum,
            idle_grace_seconds=idle_grace_seconds,
        )


@dataclass
class Outcome:
    name: str
    billed_seconds: float
    provisions: int
    cold_starts: int
    waits: list[float]
    undone: int
    still_up: int = 0
    policy_bugs: int = 0


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

    def finished(self) -> bool:
        return self.seen == len(self.arrivals) and not self.queue and not self.live

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


def run_planned(name: str, arrivals: list[float], params: Params, policy: Policy) -> Outcome:
    sim = Sim(arrivals, params, policy)
    cap = arrivals[-1] + RUN_CAP_SECONDS
    tick = 0
    while True:
        now = tick * params.tick
        sim.advance(min(now, cap))
        if sim.finished() or now >= cap:
            break
        sim.apply(plan(sim.view(now), policy), now)
        tick = sim.next_tick(tick)
    for box in sim.live:
        box.released_at = cap
    boxes = sim.gone + sim.live
    return Outcome(
        name=name,
        billed_seconds=sum(params.billed(box.released_at - box.live_since) for box in boxes),
        provisions=sim.provisions,
        cold_starts=sim.cold_starts,
        waits=sim.waits,
        undone=len(arrivals) - sim.completed,
        still_up=len(sim.live),
        policy_bugs=sim.policy_bugs,
    )


def run_always_on(arrivals: list[float], params: Params) -> Outcome:
    """One instance from time 0, ready after the boot, released after the last job."""
    free_at, waits = params.boot, []
    for arrival in arrivals:
        start = max(arrival, free_at)
        waits.append(start - arrival)
        free_at = start + params.service
    return Outcome(
        name="always-on",
        billed_seconds=params.billed(free_at),
        provisions=1,
        cold_starts=sum(arrival < params.boot for arrival in arrivals),
        waits=waits,
        undone=0,
    )


def busy_periods(arrivals: list[float], service: float) -> tuple[list[list[float]], list[float]]:
    """The FIFO busy periods of an always-ready server, and each job's queueing wait."""
    periods: list[list[float]] = []
    waits = []
    for arrival in arrivals:
        if periods and arrival <= periods[-1][1]:
            waits.append(periods[-1][1] - arrival)
            periods[-1][1] += service
        else:
            waits.append(0.0)
            periods.append([arrival, arrival + service])
    return periods, waits


def optimum(periods: list[list[float]], params: Params) -> tuple[float, int]:
    """Cheapest billed seconds covering the busy periods with runs of one instance each, and
    how many instances that takes.

    ``best[i]`` covers ``periods[:i]``; a run ``i..j`` costs one instance booted before
    period ``i`` and released after period ``j``. Splitting at a gap longer than
    ``boot + 2 * (granularity + minimum)`` never costs more than holding through it, so no
    run needs to reach back across one, which keeps the programme near linear.
    """
    horizon = params.boot + 2 * (params.granularity + params.minimum)
    best = [(0.0, 0)]
    for last in range(len(periods)):
        end = periods[last][1]
        candidates = []
        for first in range(last, -1, -1):
            cost, runs = best[first]
            candidates.append(
                (cost + params.billed(params.boot + end - periods[first][0]), runs + 1)
            )
            if first and periods[first][0] - periods[first - 1][1] > horizon:
                break
        best.append(min(candidates))
    return best[-1]


def run_optimum(arrivals: list[float], params: Params) -> Outcome:
    periods, waits = busy_periods(arrivals, params.service)
    billed_seconds, runs = optimum(periods, params)
    return Outcome(
        name="optimum",
        billed_seconds=billed_seconds,
        provisions=runs,
        cold_starts=0,
        waits=waits,
        undone=0,
    )


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def read_trace(path: Path) -> list[float]:
    lines = path.read_text().split()
    arrivals = sorted(float(line) for line in lines)
    if not arrivals:
        raise SystemExit(f"{path}: no arrivals")
    return arrivals


def replay(arrivals: list[float], params: Params) -> tuple[list[Outcome], Outcome]:
    ours = params.policy(None)
    outcomes = [
        run_planned("ours", arrivals, params, ours),
        run_planned("fixed grace", arrivals, params, params.policy(ours.break_even_seconds)),
        run_planned("every tick", arrivals, params, params.policy(0.0)),
        run_always_on(arrivals, params),
    ]
    return outcomes, run_optimum(arrivals, params)


def print_trace(
    path: Path, arrivals: list[float], params: Params, outcomes: list[Outcome], optimum: Outcome
) -> None:
    break_even = params.policy(None).break_even_seconds
    print(
        f"\n{path.name}: {len(arrivals)} arrivals over {arrivals[-1] / 3600:.1f} h, "
        f"break-even {break_even:.0f} s"
    )
    print(
        f"  {'policy':<12} {'GPU-h':>7} {'cost $':>8} {'provisions':>10} {'cold':>5} "
        f"{'p95 wait s':>10} {'undone':>6} {'vs opt':>7}"
    )
    for outcome in [optimum, *outcomes]:
        gpu_hours = outcome.billed_seconds / 3600
        ratio = outcome.billed_seconds / optimum.billed_seconds
        print(
            f"  {outcome.name:<12} {gpu_hours:>7.3f} {gpu_hours * params.price:>8.2f} "
            f"{outcome.provisions:>10} {outcome.cold_starts:>5} {p95(outcome.waits):>10.1f} "
            f"{outcome.undone:>6} {ratio:>6.3f}x"
        )
        if outcome.still_up or outcome.policy_bugs:
            print(
                f"  {'':<12} ! {outcome.still_up} instance(s) still up at the cap, "
                f"{outcome.policy_bugs} refused step(s) (policy bug)"
            )
    ours, fixed = outcomes[0], outcomes[1]
    saving = 1 - ours.billed_seconds / fixed.billed_seconds
    print(
        f"  {path.stem}: ours costs {abs(saving):.1%} {'less' if saving > 0 else 'more'} than "
        f"fixed grace; cold starts {ours.cold_starts} vs {fixed.cold_starts}, "
        f"p95 wait {p95(ours.waits):.0f} vs {p95(fixed.waits):.0f} s"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trace", action="append", type=Path, help="arrival trace (repeatable)")
    parser.add_argument("--service-seconds", type=float, default=20.0)
    parser.add_argument("--boot-seconds", type=float, default=180.0)
    parser.add_argument("--billing-seconds", type=float, default=1.0)
    parser.add_argument("--minimum-billed-seconds", type=float, default=60.0)
    parser.add_argument("--price", type=float, default=3.44, help="per hour")
    parser.add_argument("--tick-seconds", type=float, default=5.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    params = Params(
        service=args.service_seconds,
        boot=args.boot_seconds,
        granularity=args.billing_seconds,
        minimum=args.minimum_billed_seconds,
        price=args.price,
        tick=args.tick_seconds,
    )
    paths = args.trace or [TRACES_DIR / f"{name}.txt" for name in DEFAULT_TRACES]
    print(
        f"service {params.service:g} s, boot {params.boot:g} s, billing {params.granularity:g} s "
        f"(minimum {params.minimum:g} s), ${params.price:g}/h, tick {params.tick:g} s"
    )
    worst, failed = 0.0, False
    for path in paths:
        arrivals = read_trace(path)
        outcomes, optimum = replay(arrivals, params)
        print_trace(path, arrivals, params, outcomes, optimum)
        worst = max(worst, outcomes[0].billed_seconds / optimum.billed_seconds)
        failed |= any(outcome.undone or outcome.policy_bugs for outcome in outcomes)
    print(f"RESULT cost_ratio_vs_optimal={worst:.3f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
