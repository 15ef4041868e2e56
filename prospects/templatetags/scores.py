from django import template

register = template.Library()


@register.filter
def percent(rate: float | None) -> str:
    """A 0..1 rate as a whole percentage; a dash when there is nothing to rate yet."""
    return "–" if rate is None else f"{rate * 100:.0f}%"


@register.filter
def fraction(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
