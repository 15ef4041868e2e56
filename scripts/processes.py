"""Waiting on a process this one started (the demo, the local model server)."""

import subprocess
import time
from enum import StrEnum

import httpx


class Started(StrEnum):
    ANSWERING = "answering"
    EXITED = "exited"
    TIMED_OUT = "timed out"


def wait_until_answering(process: subprocess.Popen, url: str, *, timeout: float) -> Started:
    """Polls ``url`` until it answers 200, the process exits, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return Started.EXITED
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return Started.ANSWERING
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return Started.TIMED_OUT
