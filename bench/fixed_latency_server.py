"""An OpenAI-compatible server that answers every chat completion after a fixed latency.

The engine-overhead benchmark runs against it so the figure isolates our own overhead
from the CPU model's speed. With a ``capacity`` it stands in for a server's batch
capacity: it works on that many requests at once, each for the fixed latency, and queues
the rest; it counts the requests it holds at once (``peak_in_flight``).

Tests script it: a served model's answer may be a ``Reply`` (to end it another way than
``stop``) or a function of the request's messages, so a test can tell one step's call from
the next and prove what reached a prompt.
"""

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from bench.loopback import LoopbackServer

ANSWER = "Lovely to hear from you! Which evening suits you best?"


@dataclass(frozen=True)
class Reply:
    content: str
    finish_reason: str = "stop"


Answer = str | Reply | Callable[[list[dict]], "str | Reply"]


class FixedLatencyServer(LoopbackServer):
    def __init__(
        self,
        latency_seconds: float,
        port: int = 0,
        answers: dict[str, Answer] | None = None,
        capacity: int | None = None,
    ):
        super().__init__(_Handler, port)
        self.latency_seconds = latency_seconds
        # Served model name -> what it answers (tests give models different voices).
        self.answers = answers or {}
        self._admitted = threading.BoundedSemaphore(capacity) if capacity else None
        self._count = threading.Lock()
        self.in_flight = 0
        self.peak_in_flight = 0
        self.served = 0

    def reply(self, model: str, messages: list[dict]) -> Reply:
        answer = self.answers.get(model, ANSWER)
        if callable(answer):
            answer = answer(messages)
        return answer if isinstance(answer, Reply) else Reply(answer)

    def work(self) -> None:
        """One request's fixed latency, once admitted."""
        with self._count:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self._admitted is None:
                time.sleep(self.latency_seconds)
            else:
                with self._admitted:
                    time.sleep(self.latency_seconds)
        finally:
            with self._count:
                self.in_flight -= 1
                self.served += 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - the stdlib's name
        # It serves "fixed" and every model it was given an answer for (a LoRA head's name).
        served = ["fixed", *self.server.answers]
        self._json({"object": "list", "data": [{"id": name, "object": "model"} for name in served]})

    def do_POST(self):  # noqa: N802 - the stdlib's name
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.server.work()
        prompt_chars = sum(len(message["content"]) for message in request["messages"])
        reply = self.server.reply(request["model"], request["messages"])
        self._json(
            {
                "object": "chat.completion",
                "model": request["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": reply.content,
                        },
                        "finish_reason": reply.finish_reason,
                    }
                ],
                "usage": {"prompt_tokens": prompt_chars // 4, "completion_tokens": 12},
            }
        )

    def _json(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
