"""Writes the arrival traces that ``bench/gpu_policy.py`` replays by default.

    python bench/traces/generate.py

Each file holds one arrival time (seconds from the trace start, three decimals) per line,
sorted; a trace of clock-driven work opens with the line ``# periodic``, which the bench
reads as "there is something to predict here". The shapes stand for one
appointment-based professional's inbound messages, each arrival a drafting job. Every
trace has its own seeded ``random.Random`` and draws only ``random()``, whose sequence
Python keeps stable, so re-running rewrites the same bytes.
"""

import math
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOUR = 3600.0
DAY = 24 * HOUR

# Arrivals per hour for each hour of the day: nothing at night, a working day, busy evenings.
DAY_CURVE = (
    0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 1, 4, 8, 10, 12, 12,
    14, 12, 10, 10, 12, 20, 40, 60, 60, 45, 20, 5,
)  # fmt: skip


def exponential(rng: random.Random, mean: float) -> float:
    # By hand rather than rng.expovariate, so only random()'s stable sequence is relied on.
    return -mean * math.log(1.0 - rng.random())


def uniform(rng: random.Random, low: float, high: float) -> float:
    return low + (high - low) * rng.random()


def steady(rng: random.Random) -> list[float]:
    """Poisson arrivals, one a minute on average, over six hours."""
    arrivals, now = [], exponential(rng, 60.0)
    while now < 6 * HOUR:
        arrivals.append(now)
        now += exponential(rng, 60.0)
    return arrivals


def bursty(rng: random.Random) -> list[float]:
    """Bursts of 5-30 arrivals 1-8 s apart (an inbox catching up), 10-90 min pauses, one day."""
    arrivals, now = [], uniform(rng, 60.0, 600.0)
    while now < DAY:
        for _ in range(5 + int(26 * rng.random())):
            arrivals.append(now)
            now += uniform(rng, 1.0, 8.0)
        now += uniform(rng, 10 * 60.0, 90 * 60.0)
    return arrivals


def diurnal(rng: random.Random) -> list[float]:
    """Poisson arrivals whose hourly rate follows ``DAY_CURVE``, over two days (thinning)."""
    peak = max(DAY_CURVE)
    arrivals, now = [], 0.0
    while True:
        now += exponential(rng, HOUR / peak)
        if now >= 2 * DAY:
            return arrivals
        if rng.random() < DAY_CURVE[int(now % DAY // HOUR)] / peak:
            arrivals.append(now)


def sparse(rng: random.Random) -> list[float]:
    """Three to six arrivals a day between 08:00 and 21:00, over three days."""
    arrivals = []
    for day in range(3):
        count = 3 + int(4 * rng.random())
        arrivals.extend(day * DAY + uniform(rng, 8 * HOUR, 21 * HOUR) for _ in range(count))
    return sorted(arrivals)


def crm_batches(rng: random.Random) -> list[float]:
    """A CRM pushing a batch of 3-25 messages every 30 minutes (up to a minute late, the
    batch spread over 30 s), and a thin background of one message every two hours, over
    two days."""
    arrivals = []
    for slot in range(int(2 * DAY // (30 * 60))):
        start = slot * 30 * 60.0 + uniform(rng, 0.0, 60.0)
        arrivals.extend(start + uniform(rng, 0.0, 30.0) for _ in range(3 + int(23 * rng.random())))
    now = exponential(rng, 2 * HOUR)
    while now < 2 * DAY:
        arrivals.append(now)
        now += exponential(rng, 2 * HOUR)
    return sorted(arrivals)


def shift_starts(rng: random.Random) -> list[float]:
    """Two shifts a day start at 08:00 and 14:00 (give or take ten minutes) and send 20-60
    messages over their first ten minutes; a stray message now and then, over two weeks."""
    arrivals = []
    for day in range(14):
        for hour in (8, 14):
            start = day * DAY + hour * HOUR + uniform(rng, -600.0, 600.0)
            count = 20 + int(41 * rng.random())
            arrivals.extend(start + uniform(rng, 0.0, 600.0) for _ in range(count))
        arrivals.extend(day * DAY + uniform(rng, 7 * HOUR, 20 * HOUR) for _ in range(2))
    return sorted(arrivals)


# name: (shape, seed, periodic)
TRACES = {
    "steady": (steady, 1, False),
    "bursty": (bursty, 2, False),
    "diurnal": (diurnal, 3, False),
    "sparse": (sparse, 4, False),
    "crm_batches": (crm_batches, 5, True),
    "shift_starts": (shift_starts, 6, True),
}


def main() -> None:
    for name, (shape, seed, periodic) in TRACES.items():
        arrivals = shape(random.Random(seed))
        path = HERE / f"{name}.txt"
        header = "# periodic\n" if periodic else ""
        path.write_text(header + "".join(f"{arrival:.3f}\n" for arrival in arrivals))
        print(f"{path.name}: {len(arrivals)} arrivals over {arrivals[-1] / HOUR:.1f} h")


if __name__ == "__main__":
    main()
