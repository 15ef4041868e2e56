from django import template

register = template.Library()


@register.filter
def percent(rate: float | None) -> str:
    """A 0..1 rate as a whole percentage; a dash when there is nothing to rate yet."""
    return "–" if rate is None else f"{rate * 100:.0f}%"


@register.filter
def fraction(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


@register.filter
def metric(value: float | None, proportion: bool) -> str:
    """An experiment metric: a percentage for rates, else a number in four figures."""
    if value is None:
        return "–"
    return percent(value) if proportion else f"{value:,.4g}"


@register.filter
def p_value(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


@register.filter
def usd(value: float | None) -> str:
    return "–" if value is None else f"${value:.5f}"


@register.filter
def probability(value: float | None) -> str:
    """A probability that never rounds to a certainty it is not."""
    if value is None:
        return "–"
    if value > 0.999:
        return "> 99.9%"
    if value < 0.001:
        return "< 0.1%"
    return f"{value:.1%}"
