"""An OpenAI-compatible server that answers every chat completion after a fixed latency.

The engine-overhead benchmark runs against it so the figure isolates our own overhead
from the CPU model's speed.
"""

import json
import time
from http.server import BaseHTTPRequestHandler

from bench.loopback import LoopbackServer

ANSWER = "Lovely to hear from you! Which evening suits you best?"


class FixedLatencyServer(LoopbackServer):
    def __init__(self, latency_seconds: float, port: int = 0, answers: dict | None = None):
        super().__init__(_Handler, port)
        self.latency_seconds = latency_seconds
        # Served model name -> the text it answers (tests give models different voices).
        self.answers = answers or {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - the stdlib's name
        self._json({"object": "list", "data": [{"id": "fixed", "object": "model"}]})

    def do_POST(self):  # noqa: N802 - the stdlib's name
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        time.sleep(self.server.latency_seconds)
        prompt_chars = sum(len(message["content"]) for message in request["messages"])
        self._json(
            {
                "object": "chat.completion",
                "model": request["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": self.server.answers.get(request["model"], ANSWER),
                        },
                        "finish_reason": "stop",
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
