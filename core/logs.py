"""Structured logs: every record carries the ids of the request, task, job and draft it
belongs to, so one grep follows a message from ingest to send."""

import logging
import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from celery.signals import task_postrun, task_prerun

CONTEXT_FIELDS = ("request_id", "task_id", "job_id", "draft_id")
_context: ContextVar[dict] = ContextVar("log_context", default={})  # noqa: B039 - never mutated
# A caller's X-Request-ID is kept only when it is a plain token (it ends up in logs).
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@contextmanager
def log_context(**ids):
    """Adds ids (``job_id=...``, ``draft_id=...``) to every record logged inside."""
    token = _context.set({**_context.get(), **{key: str(value) for key, value in ids.items()}})
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        current = _context.get()
        for field in CONTEXT_FIELDS:
            # An id passed in ``extra=`` wins over the surrounding context's.
            if not hasattr(record, field):
                setattr(record, field, current.get(field, ""))
        return True


class RequestIdMiddleware:
    """Tags the request's records with an id and returns it as X-Request-ID."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        # Set, not scoped: Django logs a failed response after the middleware returns,
        # and that record must carry the id too. The next request replaces it.
        _context.set({"request_id": request_id})
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


_task_tokens: dict = {}


@task_prerun.connect
def _task_started(task_id=None, **kwargs):
    _task_tokens[task_id] = _context.set({**_context.get(), "task_id": task_id})


@task_postrun.connect
def _task_finished(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _context.reset(token)
