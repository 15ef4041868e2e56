"""Structured logs: JSON lines tagged with the request, task, job and draft ids."""

import io
import json
import logging

import pytest
from django.conf import settings
from pythonjsonlogger.json import JsonFormatter

from core.logs import ContextFilter, log_context


@pytest.fixture
def json_lines():
    """What the production console handler would print, one JSON object per record."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    options = {k: v for k, v in settings.LOGGING["formatters"]["json"].items() if k != "()"}
    handler.setFormatter(JsonFormatter(**options))
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


@pytest.mark.django_db
def test_a_request_gets_an_id_that_its_records_carry(client, json_lines):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-123")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-123"
    record = next(line for line in json_lines() if line["logger"] == "django.request")
    assert record["request_id"] == "req-123"
    assert record["level"] == "WARNING"


@pytest.mark.django_db
def test_an_unsafe_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="evil\nid")
    assert response["X-Request-ID"] != "evil\nid"
    assert len(response["X-Request-ID"]) == 32


def test_job_and_draft_ids_nest_and_extra_wins(json_lines):
    log = logging.getLogger("prospects.test")
    with log_context(job_id="job-1"), log_context(draft_id="draft-9"):
        log.warning("inside")
        log.warning("explicit", extra={"draft_id": "draft-42"})
    log.warning("outside")
    inside, explicit, outside = json_lines()
    assert (inside["job_id"], inside["draft_id"]) == ("job-1", "draft-9")
    assert explicit["draft_id"] == "draft-42"
    assert (outside["job_id"], outside["draft_id"]) == ("", "")
