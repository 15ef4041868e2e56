"""A private Redis server on a spare loopback port, so a test may stop and restart its
broker without touching the shared one other tests and people use."""

import subprocess
import time

import redis

from scripts.local_model_server import free_port


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, timeout: float = 20.0) -> "PrivateRedis":
        """Starts the server (again, on the same port after ``stop``) and waits for PING."""
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                with redis.Redis(port=self.port, socket_connect_timeout=1) as client:
                    client.ping()
                return self
            except redis.ConnectionError as error:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"redis-server did not answer on port {self.port}"
                    ) from error
                time.sleep(0.05)

    def stop(self) -> None:
        """Kills the server: what it held in memory is lost, as in a crash with no save."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
