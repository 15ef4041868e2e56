from django import template

from engines.moves import move_meaning
from prospects.vocabulary import decision_checks, words_in
from prospects.vocabulary import say as say_code

register = template.Library()


@register.filter
def say(code: str, kind: str) -> str:
    """``{{ draft.hold_reason|say:"hold_reason" }}``: the words for a stored code."""
    return say_code(kind, code)


@register.filter
def meaning(move: str) -> str:
    """``{{ decision.move|meaning }}``: the move's one line from the contract."""
    return move_meaning(move)


@register.filter
def checks(gate2_results: list[dict]) -> list:
    """``{% for check in decision.gate2_results|checks %}``: Gate-2's verdicts in words."""
    return decision_checks(gate2_results)


@register.filter
def in_words(text: str) -> str:
    """``{{ draft.hold_detail|in_words }}``: a stored sentence with the codes it names in
    words."""
    return words_in(text)
