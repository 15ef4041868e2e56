"""`make run` and `make run-llm` as a newcomer starts them: a clean copy of the tree, a fresh
`var/`, a spare port, then Ctrl-C.

The copy shares this checkout's `.venv` (a symlink, its files' times kept), so `make` finds
it up to date instead of installing for minutes; everything else is the copy's own.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from scripts.processes import Started, wait_until_answering

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "prospector-demo"

# What `make test` sets for the suite; a newcomer's shell has none of it.
SUITE_VARIABLES = (
    "SECRET_KEY",
    "DEBUG",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "DJANGO_SETTINGS_MODULE",
    "VAR_DIR",
    "MAKEFLAGS",
    "MAKELEVEL",
    "MFLAGS",
    # Set by the browser tests' conftest; Django's deploy check refuses it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def newcomer_environment(**values) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in SUITE_VARIABLES}
    env.update(values)
    return env


def clean_copy(destination: Path) -> Path:
    """The tracked and untracked-but-not-ignored files, as a fresh clone has them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if not source.is_file():  # deleted in the work tree, not yet in the index
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    (destination / ".venv").symlink_to(ROOT / ".venv")
    return destination


def spare_ports(count: int) -> list[int]:
    """Distinct free ports: each socket stays bound until all are chosen."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class Demo:
    """One `make` target running in its own process group, its output in a log file."""

    def __init__(self, tree: Path, target: str, port: int, **make_variables):
        self.tree = tree
        self.port = port
        self.target = target
        self.variables = {"PORT": str(self.port), **make_variables}
        self.log_path = tree / f"make-{target}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float) -> "Demo":
        args = [f"{name}={value}" for name, value in self.variables.items()]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                # Ctrl-C reaches the demo as it does from a terminal, even where this suite
                # was started in the background (nohup, `&` in a script): there SIGINT is
                # ignored, children inherit that, and runserver would never end.
                ["env", "--default-signal=INT", "make", self.target, *args],
                cwd=self.tree,
                env=newcomer_environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        started = wait_until_answering(self.process, f"{self.url}/healthz", timeout=timeout)
        if started != Started.ANSWERING:
            self.stop()  # a demo that never answered must not outlive its test
            raise AssertionError(f"make {self.target} {started}:\n{self.log()[-4000:]}")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def server_errors(self) -> list[str]:
        """Tracebacks and 5xx answers the demo logged."""
        return [
            line
            for line in self.log().splitlines()
            if "Traceback" in line or re.search(r'HTTP/1\.\d" 5\d\d ', line)
        ]

    def stop(self, *, warm: float = 60, cold: float = 120) -> list[int]:
        """Ctrl-C, as a terminal sends it to the whole group, and a second one if the first
        has not ended everything after ``warm`` seconds, as a person does when the worker
        says "Hitting Ctrl+C again will initiate cold shutdown"; returns the pids still
        left ``cold`` seconds after that (then killed).

        The worker's warm shutdown first finishes the task it is running, and a task may
        wait up to SQLite's 30 s lock timeout more than once on a loaded machine."""
        if self.process is None:
            return []
        group = self.process.pid
        for patience in (warm, cold):
            try:
                os.killpg(group, signal.SIGINT)
            except ProcessLookupError:
                return []
            if self._ended(group, within=patience):
                self.process.wait(timeout=5)
                return []
        left = processes_in_group(group)
        os.killpg(group, signal.SIGKILL)
        self.process.wait(timeout=10)
        return left

    @staticmethod
    def _ended(group: int, *, within: float) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if not processes_in_group(group):
                return True
            time.sleep(0.2)
        return False


def processes_in_group(group: int) -> list[int]:
    """Live (not zombie) processes of a process group, read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        state, process_group = fields[0], int(fields[2])
        if process_group == group and state != "Z":
            found.append(int(stat.parent.name))
    return found


class PanelSession:
    """A signed-in browser-like session: cookies, CSRF, redirects followed."""

    def __init__(self, base_url: str, username: str, password: str = PASSWORD):
        self.http = httpx.Client(base_url=base_url, follow_redirects=True, timeout=60)
        page = self.http.get("/accounts/login/")
        token = csrf_token(page.text)
        answer = self.http.post(
            "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{base_url}/accounts/login/"},
        )
        if answer.url.path.startswith("/accounts/login"):
            raise AssertionError(f"{username} could not sign in: {answer.status_code}")
        self.home = answer

    def navigation(self) -> list[str]:
        nav = re.search(r'<nav [^>]*aria-label="Panel"[^>]*>(.*?)</nav>', self.home.text, re.S)
        assert nav, "the panel has no navigation"
        return re.findall(r'href="([^"]+)"', nav.group(1))

    def __enter__(self) -> "PanelSession":
        return self

    def __exit__(self, *exc) -> None:
        self.http.close()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def api_client(base_url: str, username: str = "admin") -> httpx.Client:
    answer = httpx.post(
        f"{base_url}/api/auth/token/",
        json={"username": username, "password": PASSWORD},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Token {answer.json()['token']}"},
        timeout=120,
    )
