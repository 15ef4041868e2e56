"""The build page's learning curve: held-out accuracy against the lines a move head
learned from, as SVG geometry (markup in ``_learning_curve.html``)."""

from dataclasses import dataclass

from prospects.experiments.charts import ARM_COLOURS, Line, Tick, scale

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 32, 12, 28
SERIES = (("move_accuracy", "move"), ("is_prospect_accuracy", "is_prospect"))


@dataclass(frozen=True)
class LearningCurve:
    width: int
    height: int
    lines: list[Line]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    points: list[dict]  # the figures, for the table beside the chart


def learning_curve_chart(points: list[dict]) -> LearningCurve | None:
    """Both accuracies against the number of lines learned from; None with under two
    points (no curve to draw)."""
    if len(points) < 2:
        return None
    most = max(point["lines"] for point in points)
    x = scale(0, most, LEFT, WIDTH - RIGHT)
    y = scale(0.0, 1.0, HEIGHT - BOTTOM, TOP)
    lines = []
    for index, (field, key) in enumerate(SERIES):
        coordinates = [(x(point["lines"]), y(point[field])) for point in points]
        lines.append(
            Line(
                key=key,
                colour=ARM_COLOURS[index],
                points=" ".join(f"{px:.1f},{py:.1f}" for px, py in coordinates),
                last_x=coordinates[-1][0],
                last_y=coordinates[-1][1],
            )
        )
    x_ticks = [Tick(x(point["lines"]), f"{point['lines']:,}") for point in points]
    y_ticks = [Tick(y(share / 4), f"{share / 4:.0%}") for share in range(5)]
    return LearningCurve(WIDTH, HEIGHT, lines, x_ticks, y_ticks, points)
