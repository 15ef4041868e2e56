from django import template

from prospects.vocabulary import say as say_code

register = template.Library()


@register.filter
def say(code: str, kind: str) -> str:
    """``{{ draft.hold_reason|say:"hold_reason" }}``: the words for a stored code."""
    return say_code(kind, code)
