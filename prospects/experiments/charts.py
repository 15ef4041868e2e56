"""Server-rendered SVG charts for experiment results: geometry here, markup in templates."""

from dataclasses import dataclass
from datetime import date

from builder.results import ExperimentResults

# Colour-blind-safe (Okabe-Ito); arms take them in order, control first.
ARM_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9"]

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 32, 12, 28


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Line:
    key: str
    colour: str
    points: str  # the SVG polyline's "x,y x,y ..."
    last_x: float
    last_y: float


@dataclass(frozen=True)
class Bar:
    key: str
    colour: str
    y: float
    low_x: float
    high_x: float
    value_x: float
    label: str

    @property
    def width(self) -> float:
        return self.high_x - self.low_x


@dataclass(frozen=True)
class Charts:
    width: int
    height: int
    lines: list[Line]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    bars: list[Bar]
    bar_height: int
    bar_ticks: list[Tick]


def _format(value: float, proportion: bool) -> str:
    return f"{value:.0%}" if proportion else f"{value:,.4g}"


def _interval_label(result, proportion: bool) -> str:
    low, high = (_format(bound, proportion) for bound in result.interval)
    return f"{_format(result.rate, proportion)} [{low}, {high}]"


def scale(low: float, high: float, start: float, end: float):
    span = (high - low) or 1.0
    return lambda value: start + (value - low) / span * (end - start)


def _value_range(results: ExperimentResults, proportion: bool) -> tuple[float, float]:
    if proportion:
        return 0.0, 1.0
    highs = [result.interval[1] for result in results.arms if result.interval]
    values = [value for result in results.arms for _, s in result.series if (value := s.value)]
    top = max([*highs, *values], default=1.0)
    return 0.0, top * 1.1 or 1.0


def experiment_charts(results: ExperimentResults, *, proportion: bool) -> Charts:
    """The metric over time per arm (cumulative by day) and each arm's 95% interval."""
    low, high = _value_range(results, proportion)
    days: list[date] = sorted({day for result in results.arms for day, _ in result.series})
    x = scale(0, max(len(days) - 1, 1), LEFT, WIDTH - RIGHT)
    y = scale(low, high, HEIGHT - BOTTOM, TOP)
    day_index = {day: index for index, day in enumerate(days)}
    lines = []
    for index, result in enumerate(results.arms):
        points = [
            (x(day_index[day]), y(sample.value))
            for day, sample in result.series
            if sample.value is not None
        ]
        if points:
            lines.append(
                Line(
                    key=result.arm.key,
                    colour=ARM_COLOURS[index % len(ARM_COLOURS)],
                    points=" ".join(f"{px:.1f},{py:.1f}" for px, py in points),
                    last_x=points[-1][0],
                    last_y=points[-1][1],
                )
            )
    step = max(len(days) // 6, 1)
    x_ticks = [Tick(x(i), day.strftime("%b %d")) for i, day in enumerate(days) if i % step == 0]
    y_ticks = [
        Tick(y(low + (high - low) * i / 4), _format(low + (high - low) * i / 4, proportion))
        for i in range(5)
    ]

    row, bar_height = 28, 28 * len(results.arms) + BOTTOM
    bx = scale(low, high, LEFT, WIDTH - RIGHT)
    bars = [
        Bar(
            key=result.arm.key,
            colour=ARM_COLOURS[index % len(ARM_COLOURS)],
            y=TOP + index * row,
            low_x=bx(result.interval[0]),
            high_x=bx(result.interval[1]),
            value_x=bx(result.rate),
            label=_interval_label(result, proportion),
        )
        for index, result in enumerate(results.arms)
        if result.interval and result.rate is not None
    ]
    bar_ticks = [
        Tick(bx(low + (high - low) * i / 4), _format(low + (high - low) * i / 4, proportion))
        for i in range(5)
    ]
    return Charts(WIDTH, HEIGHT, lines, x_ticks, y_ticks, bars, bar_height, bar_ticks)
