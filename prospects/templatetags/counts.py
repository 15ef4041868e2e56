from django import template

from core.roles import can_review
from prospects.selectors import held_counts

register = template.Library()


@register.inclusion_tag("prospects/_held_counts.html", takes_context=True)
def held_summary(context, place: str, shown: int | None = None):
    """The held drafts as the dashboard and the review queue both count them, each linking
    to the other: ``place`` is "dashboard" or "queue"; ``shown`` is how many the queue
    lists (its filters and the drafts this user skipped leave the rest out)."""
    user = context["request"].user
    counts = held_counts(user)
    return {
        "place": place,
        "counts": counts,
        "left_out": counts.waiting - shown if shown is not None else 0,
        "can_review": can_review(user),
    }
