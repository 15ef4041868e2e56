"""`make run`'s first start, as a newcomer gets it (issue 23): a clean clone, no venv and
empty package caches, timed until the panel answers.

    python3 bench/first_run.py [--source PATH_OR_URL] [--port 8765]

Standard library only, so any python3 runs it before there is a venv. Clones `--source`
(default: this checkout's committed HEAD) into a temporary directory, starts `make run`
there in its own process group with `UV_CACHE_DIR` pointing at an empty directory and pip
told to cache nothing and to ignore this machine's pip configuration (a local index, a
wheel folder), then polls `/healthz`. Prints the seconds at which the venv was ready,
the panel's line was printed (migrations and demo data done) and the panel answered,
then stops the demo with Ctrl-C as a terminal would, fails if any process it started is
still alive, and deletes the clone. Ends with `RESULT first_run_seconds=<s>`.
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A fresh machine has none of these; the suite's and this machine's would change the run.
DROPPED_VARIABLES = ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT")
SUITE_VARIABLES = ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "SECRET_KEY")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def processes_under(directory: Path) -> list[str]:
    """Live processes whose working directory lies in ``directory``: what the demo left."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if Path(os.readlink(proc / "cwd")).is_relative_to(directory):
                found.append(f"{proc.name} {(proc / 'cmdline').read_bytes()[:120]!r}")
        except OSError:
            continue
    return found


def stop(process: subprocess.Popen, tree: Path, timeout: float = 120) -> list[str]:
    os.killpg(process.pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and processes_under(tree):
        time.sleep(0.5)
    left = processes_under(tree)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    return left


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(ROOT))
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--timeout", type=float, default=1200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="first-run-") as scratch:
        tree = Path(scratch) / "prospector"
        subprocess.run(["git", "clone", "--quiet", args.source, str(tree)], check=True)
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in DROPPED_VARIABLES + SUITE_VARIABLES and not key.startswith("UV_")
        }
        env.update(
            UV_CACHE_DIR=str(Path(scratch) / "uv-cache"),
            PIP_NO_CACHE_DIR="1",
            PIP_CONFIG_FILE=os.devnull,
        )
        log_path = Path(scratch) / "make-run.log"
        started = time.monotonic()
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                ["make", "run", f"PORT={args.port}"],
                cwd=tree,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        marks: dict[str, float] = {}
        try:
            while "answering" not in marks:
                elapsed = time.monotonic() - started
                if process.poll() is not None or elapsed > args.timeout:
                    print(log_path.read_text(errors="replace")[-4000:], file=sys.stderr)
                    print(f"make run {'exited' if process.poll() is not None else 'timed out'}")
                    return 1
                if "venv" not in marks and (tree / ".venv/.synced-runtime").exists():
                    marks["venv"] = elapsed
                if "panel line" not in marks and b"Prospector panel:" in log_path.read_bytes():
                    marks["panel line"] = elapsed
                if answers(f"http://127.0.0.1:{args.port}/healthz"):
                    marks["answering"] = elapsed
                time.sleep(0.25)
        finally:
            left = stop(process, tree)
        for mark, seconds in marks.items():
            print(f"{mark}: {seconds:.1f} s")
        if left:
            print(f"processes left running: {left}")
            return 1
        print(f"RESULT first_run_seconds={marks['answering']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
