"""What a build's arrival history says about its next work: pure, no I/O.

Two readings of the same history, after Shahrad et al., "Serverless in the Wild" (ATC '20),
which pre-warms from a histogram of idle times and keeps the idle grace where the pattern
says nothing:

- **The idle gaps.** Work is grouped into the busy periods a ready machine would have (a
  message that comes while the one before it is still being drafted ends no idle time),
  and the pauses between them are what the idle grace is chosen from
  (``engines.gpu.policy.idle_grace``). Counting pauses rather than arrivals keeps a
  campaign of five hundred messages from crowding every real pause out of the window.
- **Work on a clock.** A CRM pushing a batch every half hour, two shifts starting each
  morning and afternoon: the arrivals that end a pause long enough to release in (the
  wake-ups) fall at the same phase of some period. For each candidate period (the clock
  periods cron jobs use up to a day, shortest first, then the median interval between
  wake-ups) the phases of the recent wake-ups are clustered; a narrow cluster that was hit
  in at least ``CONFIDENT`` of the last periods, and far more often than the other
  wake-ups, falling at random, would hit some window that wide at some period (a binomial
  tail, times the windows and periods tried, under ``CHANCE``), is a ``Pattern``, and
  the next time it comes round is predicted work, booted for ahead of time. Where no
  period holds, nothing is predicted and the grace alone decides.

Times are seconds on the arrivals' own scale (UNIX time in production), so a daily pattern
is a time of day in UTC.
"""

import math
import statistics
from dataclasses import dataclass
from functools import lru_cache

DAY = 24 * 3600.0
# How far back the lifecycle reads a build's arrivals (and the bench replays them).
HISTORY_SECONDS = 8 * DAY
HISTORY_ARRIVALS = 3000
# Only this many recent pauses set the grace, so it follows a changing day.
GAP_WINDOW = 200
# Clock periods scheduled work uses; the median interval between wake-ups is tried too.
CLOCK_PERIODS = (300, 600, 900, 1200, 1800, 3600, 7200, 10800, 14400, 21600, 43200, DAY)
MIN_PERIODS = 4  # periods of history a pattern needs before it predicts anything
LOOKBACK_PERIODS = 14  # periods a pattern's confidence is counted over
CONFIDENT = 0.75  # share of those periods the pattern must have held
CHANCE = 0.01  # at most this likely to be hit so often by wake-ups falling at random
WIDEST_SHARE = 0.15  # a cluster spread over more of its period predicts nothing
LINK_SHARE = 0.01  # wake-ups closer in phase than this share of the period (or 60 s) join


@dataclass(frozen=True)
class Pause:
    """An idle time between two busy periods, and the arrival that ended it."""

    seconds: float
    ended_by: int  # index of the arrival that ended the pause


@dataclass(frozen=True)
class Pattern:
    """Work that came at the same phase of ``period`` in ``hits`` of the last ``periods``."""

    period: float
    phase_from: float  # the earliest phase a wake-up of this pattern came at
    phase_to: float  # the latest
    hits: int
    periods: int

    @property
    def confidence(self) -> float:
        return self.hits / self.periods

    def window_after(self, moment: float, tolerance: float = 0.0) -> tuple[float, float]:
        """The next window ``(start, end)`` this pattern's work is expected in, widened by
        ``tolerance`` each side, that ends after ``moment``. A window is held to its
        end even once work came in it: the first message of a window may be a stray, and
        the batch still to come."""
        cycle = math.floor((moment - self.phase_to - tolerance) / self.period)
        while cycle * self.period + self.phase_to + tolerance <= moment:
            cycle += 1
        base = cycle * self.period
        return base + self.phase_from - tolerance, base + self.phase_to + tolerance


@dataclass(frozen=True)
class Forecast:
    pauses: tuple[Pause, ...]  # the recent pauses, oldest first (at most GAP_WINDOW)
    patterns: tuple[Pattern, ...]  # work on a clock, if any; all of one period
    idle_since: float | None = None  # when a ready machine would have finished the last work

    def next_work(self, moment: float, tolerance: float = 0.0) -> tuple[float, float] | None:
        """The next predicted window of work ``(start, end)`` ending after ``moment``, its
        start ``tolerance`` earlier and its end as much later (jitter, a boot's margin)."""
        windows = [pattern.window_after(moment, tolerance) for pattern in self.patterns]
        return min(windows, default=None)

    def foresees(self, moment: float) -> bool:
        """Whether work at ``moment`` falls in one of the patterns' windows."""
        return any(
            (moment - pattern.phase_from) % pattern.period <= pattern.phase_to - pattern.phase_from
            for pattern in self.patterns
        )


def busy_periods(arrivals: tuple[float, ...], service: float) -> list[tuple[float, float, int]]:
    """``(start, end, first arrival's index)`` of each busy period a ready machine serving
    one job at a time in ``service`` seconds would have."""
    periods: list[tuple[float, float, int]] = []
    for index, arrival in enumerate(arrivals):
        if periods and arrival < periods[-1][1]:
            start, end, first = periods[-1]
            periods[-1] = (start, end + service, first)
        else:
            periods.append((arrival, arrival + service, index))
    return periods


@lru_cache(maxsize=256)
def forecast(arrivals: tuple[float, ...], service: float, wake_seconds: float) -> Forecast:
    """Read ``arrivals`` (sorted, oldest first). A pause of at least ``wake_seconds`` (a
    boot: anything shorter is held through, not booted for) ends in a wake-up. Cached: the
    lifecycle and the bench ask again every tick with the same history."""
    periods = busy_periods(arrivals, service)
    pauses = tuple(
        Pause(seconds=later[0] - earlier[1], ended_by=later[2])
        for earlier, later in zip(periods, periods[1:], strict=False)
        if later[0] > earlier[1]
    )
    wakes = [arrivals[pause.ended_by] for pause in pauses if pause.seconds >= wake_seconds]
    return Forecast(
        pauses=pauses[-GAP_WINDOW:],
        patterns=_clock_patterns(wakes, arrivals[-1] if arrivals else 0.0),
        idle_since=periods[-1][1] if periods else None,
    )


def _clock_patterns(wakes: list[float], latest: float) -> tuple[Pattern, ...]:
    """The patterns of the period that explains the recent wake-ups best: the largest
    share of them inside its confident clusters, less the share of the period those
    clusters cover (a wide net explains anything); ties go to the shorter period."""
    if len(wakes) < MIN_PERIODS:
        return ()
    intervals = [later - earlier for earlier, later in zip(wakes, wakes[1:], strict=False)]
    median = round(statistics.median(intervals))
    span = latest - wakes[0]
    tried = (*CLOCK_PERIODS, median)
    best: tuple[float, float] = (0.0, 0.0)
    chosen: tuple[Pattern, ...] = ()
    for period in tried:
        periods = min(LOOKBACK_PERIODS, int(span // period)) if period > 0 else 0
        if periods < MIN_PERIODS:
            continue
        recent = [wake for wake in wakes if latest - wake < periods * period]
        if not recent:
            continue
        found = []
        explained = 0
        for pattern, members in _phase_clusters(recent, period, periods):
            rate = (len(wakes) - pattern.hits) / span
            if pattern.confidence >= CONFIDENT and _unlikely_by_chance(pattern, rate, len(tried)):
                found.append(pattern)
                explained += members
        covered = sum(pattern.phase_to - pattern.phase_from for pattern in found) / period
        score = (explained / len(recent) - covered, -period)
        if found and score > best:
            best, chosen = score, tuple(found)
    return chosen


def _unlikely_by_chance(pattern: Pattern, rate: float, periods_tried: int) -> bool:
    """Whether wake-ups at ``rate`` per second, falling at random, would hit a window as
    wide as the pattern's, anywhere in the period and at any period tried, in ``hits`` of
    its ``periods``, less often than ``CHANCE`` (a Bonferroni bound)."""
    width = max(pattern.phase_to - pattern.phase_from, 60.0)
    per_period = 1 - math.exp(-rate * width)
    windows = periods_tried * pattern.period / width
    tail = windows * sum(
        math.comb(pattern.periods, hits)
        * per_period**hits
        * (1 - per_period) ** (pattern.periods - hits)
        for hits in range(pattern.hits, pattern.periods + 1)
    )
    return tail < CHANCE


def _phase_clusters(wakes: list[float], period: float, periods: int) -> list[tuple[Pattern, int]]:
    """Wake-ups grouped by phase (neighbours closer than a link join one cluster), each
    cluster with the number of wake-ups in it."""
    link = max(60.0, LINK_SHARE * period)
    phased = sorted((wake % period, wake) for wake in wakes)
    if not phased:
        return []
    clusters: list[list[tuple[float, float]]] = [[phased[0]]]
    for item in phased[1:]:
        if item[0] - clusters[-1][-1][0] <= link:
            clusters[-1].append(item)
        else:
            clusters.append([item])
    # The circle closes: a cluster at the period's end may continue at its start.
    if len(clusters) > 1 and clusters[0][0][0] + period - clusters[-1][-1][0] <= link:
        clusters[0] = [(phase - period, wake) for phase, wake in clusters.pop()] + clusters[0]
    patterns = []
    for cluster in clusters:
        phase_from, phase_to = cluster[0][0], cluster[-1][0]
        if phase_to - phase_from > WIDEST_SHARE * period:
            continue
        middle = (phase_from + phase_to) / 2
        # One hit per cycle: the cluster is narrower than half a period, so rounding each
        # wake-up's distance from the cluster's middle names its cycle.
        hits = len({round((wake - middle) / period) for _, wake in cluster})
        pattern = Pattern(period, phase_from, phase_to, min(hits, periods), periods)
        patterns.append((pattern, len(cluster)))
    return patterns
