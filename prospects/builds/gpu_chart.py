"""The GPU page's "why this grace" chart: a build's recent pauses against the grace it holds,
and the next work it expects, as SVG geometry and sentences (markup in
``_gpu_grace.html``). Pauses span seconds to days, so the scale is logarithmic."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone

from engines.gpu.policy import GraceReading
from prospects.experiments.charts import Tick, scale

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 12, 24
SHORTEST = 10.0  # seconds at the chart's floor: shorter pauses are drawn as this
DURATION_TICKS = (10, 60, 600, 3600, 6 * 3600, 86_400)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # "held" (shorter than the grace), "released", "foreseen", "expected"
    title: str


@dataclass(frozen=True)
class GraceChart:
    width: int
    height: int
    bars: list[Bar]
    grace_y: float
    grace_label: str
    y_ticks: list[Tick]
    why: str  # one sentence: why this grace
    expects: str  # one sentence: when work is expected next, or that nothing is predicted


def duration(seconds: float) -> str:
    """A pause in the unit people would say it in: "45 s", "12 min", "3.5 h", "2.0 d"."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86_400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def grace_chart(reading: GraceReading) -> GraceChart:
    expected = _expected_pause(reading)
    highest = max([*reading.pauses, reading.grace_seconds, expected or 0.0, 60.0]) * 1.3
    log_y = scale(math.log10(SHORTEST), math.log10(highest), HEIGHT - BOTTOM, TOP)

    def y(seconds: float) -> float:
        return log_y(math.log10(max(seconds, SHORTEST)))

    slots = len(reading.pauses) + (1 if expected else 0)
    step = (WIDTH - LEFT - RIGHT) / max(slots, 1)
    bars = []
    for index, (pause, foreseen) in enumerate(_paired(reading)):
        kind = _kind(pause, foreseen, reading)
        bars.append(_bar(index, step, y(pause), kind, f"{duration(pause)}: {KIND_WORDS[kind]}"))
    if expected:
        title = f"{duration(expected)} until the work expected next"
        bars.append(_bar(len(reading.pauses), step, y(expected), "expected", title))
    ticks = [Tick(y(mark), duration(mark)) for mark in DURATION_TICKS if mark <= highest]
    return GraceChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        grace_y=y(reading.grace_seconds),
        grace_label=f"grace {duration(reading.grace_seconds)}",
        y_ticks=ticks,
        why=_why(reading),
        expects=_expects(reading),
    )


KIND_WORDS = {
    "held": "held through",
    "released": "released, then a cold start",
    "foreseen": "released, then booted for the work on the clock",
    "expected": "expected next",
}


def _bar(index: int, step: float, top: float, kind: str, title: str) -> Bar:
    width = max(step * 0.7, 1.0)
    x = LEFT + index * step + (step - width) / 2
    return Bar(x, top, width, HEIGHT - BOTTOM - top, kind, title)


def _expected_pause(reading: GraceReading) -> float | None:
    if reading.next_work is None or reading.idle_since is None:
        return None
    return max(reading.next_work[0] - reading.idle_since, SHORTEST)


def _why(reading: GraceReading) -> str:
    grace = duration(reading.grace_seconds)
    if reading.fixed:
        return f"An admin fixed the grace at {grace}."
    if not reading.pauses:
        return (
            f"No pause seen yet: it holds {grace}, what a cold start of the work it just "
            "served would cost in leads' waiting."
        )
    kinds = [_kind(pause, foreseen, reading) for pause, foreseen in _paired(reading)]
    counts = ", ".join(
        f"{kinds.count(kind)} {KIND_WORDS[kind]}" for kind in KIND_WORDS if kind in kinds
    )
    return (
        f"It holds {grace} after the last work: over the last {len(reading.pauses)} pauses, "
        f"that grace would have cost least, money and leads' waiting together ({counts})."
    )


def _paired(reading: GraceReading):
    return zip(reading.pauses, reading.foreseen, strict=True)


def _kind(pause: float, foreseen: bool, reading: GraceReading) -> str:
    if pause <= reading.grace_seconds:
        return "held"
    return "foreseen" if foreseen else "released"


def _expects(reading: GraceReading) -> str:
    if not reading.patterns:
        return "Its work does not come on a clock: nothing is booted ahead."
    pattern = reading.patterns[0]
    held = f"{pattern.hits} of the last {pattern.periods} periods"
    if reading.next_work is None:
        return f"Work comes every {duration(pattern.period)} ({held})."
    start, end = (_local(moment) for moment in reading.next_work)
    return (
        f"Work comes every {duration(pattern.period)} ({held}): next expected between "
        f"{start:%H:%M} and {end:%H:%M}, and a machine is started to be ready by then."
    )


def _local(moment: float) -> datetime:
    return timezone.localtime(datetime.fromtimestamp(moment, tz=UTC))
