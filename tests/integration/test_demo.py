"""The README's first command, run as a newcomer runs it (issue 18)."""

import time
import uuid
from datetime import UTC, datetime

import pytest

from tests.support.demo import Demo, PanelSession, api_client, clean_copy, spare_ports

pytestmark = pytest.mark.integration

ENDPOINT_BUILD = "endpoint-gemma3-270m_2026-11-23.1"
ENGINE_FAILURES = {"engine_unavailable", "engine_error", "no_workflow", "too_many_attempts"}


def post_message(api, body: str) -> dict:
    answer = api.post(
        "/api/inbound/",
        json={
            "external_id": f"smoke-{uuid.uuid4()}",
            "thread": f"smoke-{uuid.uuid4()}",
            "sender": "Sam",
            "body": body,
            "received_at": datetime.now(UTC).isoformat(),
        },
    )
    assert answer.status_code == 201, answer.text
    draft = answer.json()["draft"]
    assert draft is not None, answer.json()
    return draft


def wait_until_drafted(api, draft_id: str, *, timeout: float) -> dict:
    """Polls the draft until it leaves `queued`: the worker has drafted it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        draft = api.get(f"/api/drafts/{draft_id}/").json()
        if draft["status"] != "queued":
            return draft
        time.sleep(0.2)
    raise AssertionError(f"draft {draft_id} still queued after {timeout}s")


def wait_until_idle(api, *, timeout: float) -> None:
    """Polls until the worker has drafted every queued draft (the demo's own messages)."""
    deadline = time.monotonic() + timeout
    while api.get("/api/drafts/", params={"status": "queued"}).json()["count"]:
        assert time.monotonic() < deadline, f"drafts still queued after {timeout}s"
        time.sleep(0.2)


@pytest.fixture
def demo_tree(tmp_path):
    return clean_copy(tmp_path / "prospector")


# Past the suite's 300 s: the first start assembles the model file and loads the demo.
@pytest.mark.timeout(900)
def test_make_run_serves_every_page_to_every_role_and_drafts_a_message(demo_tree):
    (port,) = spare_ports(1)
    demo = Demo(demo_tree, "run", port).start(timeout=300)
    try:
        for username in ("admin", "operator", "coworker"):
            with PanelSession(demo.url, username) as session:
                pages = session.navigation()
                assert len(pages) >= 10, pages
                for page in pages:
                    answer = session.http.get(page)
                    assert answer.status_code == 200, f"{username} {page}: {answer.status_code}"

        with api_client(demo.url) as api:
            wait_until_idle(api, timeout=60)
            answered = time.monotonic()
            queued = post_message(api, "Hi! Are you free Friday evening? What is your rate?")
            drafted = wait_until_drafted(api, queued["id"], timeout=30)
            drafting_seconds = time.monotonic() - answered
        assert drafting_seconds < 1.0, f"the live draft took {drafting_seconds:.2f} s"
        assert drafted["status"] in {"held", "approved", "sent"}
        assert drafted["engine_id"] == "template"
        assert drafted["hold_reason"] not in ENGINE_FAILURES
        assert drafted["body"]
        assert demo.server_errors() == []
    finally:
        left_behind = demo.stop()
    assert left_behind == [], f"processes left running: {left_behind}"
    assert demo.process.returncode is not None


@pytest.mark.timeout(900)
def test_make_run_llm_drafts_on_the_local_model_server(demo_tree):
    port, llm_port = spare_ports(2)
    demo = Demo(demo_tree, "run-llm", port, LLM_PORT=llm_port).start(timeout=600)
    try:
        with api_client(demo.url) as api:
            flipped = api.put("/api/settings/draft-engine/", json={"draft_engine": ENDPOINT_BUILD})
            assert flipped.status_code == 200, flipped.text
            # Not a first hello: the demo's running experiment drafts opener.welcome on template.
            queued = post_message(api, "Are you free Friday evening? What is your rate?")
            drafted = wait_until_drafted(api, queued["id"], timeout=300)
        assert drafted["engine_id"] == ENDPOINT_BUILD
        assert drafted["hold_reason"] not in ENGINE_FAILURES, drafted["hold_detail"]
        assert drafted["engine_latency_ms"] > 0
        assert drafted["workflow_version"] is not None
        assert demo.server_errors() == []
    finally:
        left_behind = demo.stop()
    assert left_behind == [], f"processes left running: {left_behind}"
