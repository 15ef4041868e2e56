"""JSON bodies are read once, and poison in them is a 400 that names the field; so is
poison in a query string.

PostgreSQL cannot store a NUL or an unpaired UTF-16 surrogate in text, nor compare text
with one, and Python's JSON parser recurses once per nesting level: left alone, each of
these ends in a 500 (after part of a batch was written, or on a search such as
``?q=%00``). They are refused here, before any view or serializer runs, for every
endpoint at once.
"""

from django.http import HttpResponseBadRequest, JsonResponse
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 20


def _problem(text: str) -> str | None:
    if "\x00" in text:
        return "Contains a NUL character."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Contains an unpaired surrogate (not valid Unicode)."
    return None


def poison(value, path: tuple = (), depth: int = 0) -> tuple[str, str] | None:
    """The first field path and problem in a parsed JSON value, if any."""
    if depth > MAX_DEPTH:
        return _path(path), f"Nested deeper than {MAX_DEPTH} levels."
    if isinstance(value, str):
        problem = _problem(value)
        return (_path(path), problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            if problem := _problem(key):
                return _path((*path, "(key)")), problem
            if found := poison(item, (*path, key), depth + 1):
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if found := poison(item, (*path, str(index)), depth + 1):
                return found
    return None


def _path(path: tuple) -> str:
    return ".".join(path) or "non_field_errors"


class UntrustedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.") from error
        if found := poison(data):
            field, problem = found
            raise serializers.ValidationError({field: [problem]})
        return data


class PoisonQueryMiddleware:
    """A query parameter (name or value) with a NUL or an unpaired surrogate answers 400
    naming the parameter: JSON under /api/, a line of text on a panel page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, values in request.GET.lists():
            problem = next(filter(None, (_problem(text) for text in (name, *values))), None)
            if problem:
                if request.path.startswith("/api/"):
                    return JsonResponse({name: [problem]}, status=400)
                return HttpResponseBadRequest(
                    f"The query parameter '{name}' is refused: {problem}",
                    content_type="text/plain; charset=utf-8",
                )
        return self.get_response(request)
