"""A real messaging-bridge webhook on loopback that records what it is sent (the `bridge`
fixture starts one a test)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from deploy.bridge_verifier import Deliveries, answer

# The bridge's copy of BRIDGE_SIGNING_SECRET (the `bridge` fixture sets both).
BRIDGE_SECRET = "a-test-bridge-signing-secret-well-over-32-bytes"


class Bridge(ThreadingHTTPServer):
    """Answers as deploy/bridge_verifier.py says: forged or stale requests refused, a key
    delivered once."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), BridgeHandler)
        self.received: list[dict] = []  # delivered, once per key
        self.keys: list[str] = []  # the Idempotency-Key of every request
        self.deliveries = Deliveries()
        self.fail_with: int | None = None
        # Deliver, then never answer (until the test ends): a timeout after delivery.
        self.stall = False
        self.released = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/send"


class BridgeHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the stdlib's name
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        self.server.keys.append(self.headers.get("Idempotency-Key"))
        if self.server.fail_with:
            self.send_response(self.server.fail_with)
            self.end_headers()
            return
        status, deliver = answer(
            raw_body=raw,
            headers=self.headers,
            secret=BRIDGE_SECRET.encode(),
            deliveries=self.server.deliveries,
        )
        if deliver:
            payload = json.loads(raw)
            payload["idempotency_key"] = self.headers.get("Idempotency-Key")
            payload["signature"] = self.headers.get("X-Prospector-Signature")
            payload["raw"] = raw
            self.server.received.append(payload)
        if deliver and self.server.stall:
            self.server.released.wait(timeout=60)
            return
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass
