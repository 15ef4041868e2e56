"""The README's first command, run as a newcomer runs it (issue 18)."""

import time
import uuid
from datetime import UTC, datetime

import pytest

from tests.support.demo import Demo, PanelSession, api_client, spare_ports

pytestmark = pytest.mark.integration

ENDPOINT_BUILD = "endpoint-gemma3-270m_2026-11-23.1"
ENGINE_FAILURES = {"engine_unavailable", "engine_error", "no_workflow", "too_many_attempts"}
# What a draft the model answered is held for: review, the gate, Gate-2, or an answer cut
# off at its token limit (the 270M model rambles).
MODEL_ANSWERED = {"review_mode", "gate_failed", "gate2_hold", "malformed_output"}


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


# Past the suite's 300 s: the first start assembles the model file and loads the demo.
@pytest.mark.timeout(900)
def test_make_run_serves_every_page_to_every_role_and_drafts_a_message(demo_tree):
    (port,) = spare_ports(1)
    demo = Demo(demo_tree, "run", port).start(timeout=300)
    try:
        # Each role's menu holds the pages it uses (prospects.navigation), the admin's all.
        for username, fewest in (("admin", 12), ("operator", 6), ("coworker", 3)):
            with PanelSession(demo.url, username) as session:
                pages = session.navigation()
                assert len(pages) >= fewest, (username, pages)
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
def test_smoke_make_run_llm_drafts_on_the_local_model_server(demo_tree):
    """A smoke test: the 270M base model also stands in for the move head, so its move is
    not known in advance. A message it calls spam is held `no_reply` without a draft; every
    other one must be drafted by the model, and three messages make one near certain."""
    port, llm_port = spare_ports(2)
    demo = Demo(demo_tree, "run-llm", port, LLM_PORT=llm_port).start(timeout=600)
    try:
        with api_client(demo.url) as api:
            flipped = api.put("/api/settings/draft-engine/", json={"draft_engine": ENDPOINT_BUILD})
            assert flipped.status_code == 200, flipped.text
            # Not first hellos: the demo's running experiment drafts opener.welcome on template.
            queued = [
                post_message(api, body)
                for body in (
                    "Are you free Friday evening? What is your rate?",
                    "Could we book two hours on Saturday?",
                    "What time works for you tomorrow?",
                )
            ]
            drafts = [wait_until_drafted(api, draft["id"], timeout=300) for draft in queued]
        by_model = [draft for draft in drafts if draft["hold_reason"] != "no_reply"]
        assert by_model, "the move head called every message spam"
        for drafted in by_model:
            assert drafted["engine_id"] == ENDPOINT_BUILD
            assert drafted["hold_reason"] in MODEL_ANSWERED, drafted["hold_detail"]
            assert drafted["workflow_version"] is not None
        assert demo.server_errors() == []
    finally:
        left_behind = demo.stop()
    assert left_behind == [], f"processes left running: {left_behind}"
