"""A real worker SIGKILLed in the middle of a send: every approved draft is still sent, and
a second post carries the same Idempotency-Key (issue 19)."""

import json
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from prospects.drafting.dispatch import drafts_dispatch_stale
from prospects.models import Draft
from prospects.review.services import draft_approve
from tests.integration.conftest import wait_for
from tests.support.bridge import BRIDGE_SECRET
from tests.support.drafting import ingest
from tests.support.factories import make_inbound

pytestmark = pytest.mark.integration

STALE_SECONDS = 1.0


class StallingBridge(ThreadingHTTPServer):
    """A bridge whose first request hangs: before its body is read (the worker dies between
    the claim and the post) or after it is recorded (the post arrived, the row was never
    updated). Later requests are answered at once."""

    daemon_threads = True

    def __init__(self, stall: str):
        super().__init__(("127.0.0.1", 0), _StallingHandler)
        self.stall = stall
        self.received: list[dict] = []
        self.stalled = threading.Event()
        self.released = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/send"

    def start(self) -> "StallingBridge":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.shutdown()
        self.server_close()


class _StallingHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the stdlib's name
        first = not self.server.stalled.is_set()
        if first and self.server.stall == "before_post":
            self.server.stalled.set()
            self.server.released.wait(timeout=60)
            return
        length = int(self.headers.get("Content-Length", 0))
        payload = json.loads(self.rfile.read(length))
        self.server.received.append(
            {"draft_id": payload["draft_id"], "key": self.headers.get("Idempotency-Key")}
        )
        if first:
            self.server.stalled.set()
            self.server.released.wait(timeout=60)
            return
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("stall", ["before_post", "after_post"])
def test_a_worker_killed_mid_send_loses_no_approved_draft(
    stall, canon, coworker, start_worker, settings
):
    bridge = StallingBridge(stall).start()
    settings.BRIDGE_WEBHOOK_URL = bridge.url
    settings.BRIDGE_SIGNING_SECRET = BRIDGE_SECRET
    settings.DISPATCH_STALE_SECONDS = STALE_SECONDS
    try:
        draft = ingest(make_inbound("Hi")).draft
        worker = start_worker(BRIDGE_TIMEOUT_SECONDS="60")
        draft_approve(draft_id=draft.id, user=coworker)
        assert bridge.stalled.wait(timeout=60), "the worker never reached the bridge"

        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        draft.refresh_from_db()
        # Interrupted mid-send: claimed, never marked sent.
        assert draft.status == Draft.Status.APPROVED
        assert draft.dispatch_claimed_at is not None

        time.sleep(STALE_SECONDS + 0.2)  # the claim goes stale on the real clock
        assert drafts_dispatch_stale() == 1
        start_worker(BRIDGE_TIMEOUT_SECONDS="60")

        def sent():
            draft.refresh_from_db()
            return draft.status == Draft.Status.SENT

        wait_for(sent, timeout=60, message="the swept draft to be sent")
    finally:
        bridge.stop()
    posts = 2 if stall == "after_post" else 1
    assert bridge.received == [{"draft_id": str(draft.id), "key": str(draft.id)}] * posts
