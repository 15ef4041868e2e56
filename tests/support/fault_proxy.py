"""A small fault-injecting HTTP proxy between the inference client and the model server.

Modes: ``pass``, ``latency`` (sleep first), ``error`` (answer 500), ``truncate`` (promise
a body and send half of it), ``hang`` (never answer), ``drop`` (close the connection),
``drip`` (send the real answer one byte at a time).
"""

import socket
import time
from http.server import BaseHTTPRequestHandler

import httpx

from bench.loopback import LoopbackServer


class FaultProxy(LoopbackServer):
    def __init__(self, upstream: str, port: int = 0):
        super().__init__(_Handler, port)
        self.upstream = upstream.rstrip("/")
        self.mode = "pass"
        self.latency = 0.0
        self.drip_interval = 0.2
        self.requests = 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - the stdlib's name
        self._handle(None)

    def do_POST(self):  # noqa: N802 - the stdlib's name
        self._handle(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def _handle(self, body: bytes | None):
        proxy: FaultProxy = self.server
        proxy.requests += 1
        mode = proxy.mode
        if mode == "drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()
            return
        if mode == "hang":
            time.sleep(3600)
            return
        if mode == "error":
            self._send(500, b'{"error": "injected"}')
            return
        if mode == "latency":
            time.sleep(proxy.latency)
        upstream = httpx.request(
            self.command,
            proxy.upstream + self.path,
            content=body,
            headers={"Content-Type": self.headers.get("Content-Type", "application/json")},
            timeout=300,
        )
        if mode == "truncate":
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(upstream.content)))
            self.end_headers()
            self.wfile.write(upstream.content[: len(upstream.content) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if mode == "drip":
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(upstream.content)))
            self.end_headers()
            for byte in upstream.content:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(proxy.drip_interval)
            return
        self._send(upstream.status_code, upstream.content)

    def _send(self, status: int, content: bytes):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
