"""Fetches a droplet's credentials from the app, once, at boot, and writes them root-only.

Runs on the droplet as root (the ``droplet-credentials`` unit that
``engines/gpu/deploy.py`` renders into the user data), with the image's python3 and its
standard library only. The user data holds a one-time token, never the credentials: the
app answers them to the first fetch, within minutes of provisioning, and then never again.

    fetch_credentials.py --url URL --token-file PATH NAME=PATH [NAME=PATH ...]

The answer is ``{"files": {NAME: content}}``; each NAME given here is written to its PATH
(mode 0600). Paths come from the user data alone: the answer never says where to write.
The token file is removed once every file is written, so a reboot skips the fetch.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

# How long the app may stay unreachable (its own deploy, a network blip) before boot fails.
RETRY_FOR_SECONDS = 300
RETRY_EVERY_SECONDS = 5
TIMEOUT_SECONDS = 15


class Refused(Exception):
    """The app said no (a spent, expired or wrong token): retrying cannot help."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The token goes to the URL the user data names and nowhere else: a redirect is an
    error (a 3xx answer), never followed with the token."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def main(argv=None) -> int:
    arguments = _parser().parse_args(argv)
    targets = dict(_target(value) for value in arguments.files)
    with open(arguments.token_file, encoding="ascii") as handle:
        token = handle.read().strip()
    try:
        files = fetch(arguments.url, token, deadline=time.monotonic() + RETRY_FOR_SECONDS)
    except Refused as error:
        print(f"credentials refused: {error}", file=sys.stderr)
        return 1
    missing = sorted(set(targets) - set(files))
    if missing:
        print(f"credentials incomplete: no {', '.join(missing)}", file=sys.stderr)
        return 1
    for name, path in targets.items():
        write_root_only(path, files[name])
    os.unlink(arguments.token_file)
    return 0


def fetch(url: str, token: str, *, deadline: float) -> dict:
    request = urllib.request.Request(
        url, data=b"", method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    while True:
        try:
            with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as answer:
                return json.load(answer)["files"]
        except urllib.error.HTTPError as error:
            if error.code < 500 and error.code != 429:
                raise Refused(f"{error.code} {_detail(error)}") from error
            problem = f"{error.code}"
        except OSError as error:  # unreachable, refused, timed out
            problem = str(error)
        if time.monotonic() > deadline:
            raise Refused(f"the app stayed unreachable ({problem})")
        time.sleep(RETRY_EVERY_SECONDS)


def write_root_only(path: str, content: str) -> None:
    """Writes ``content`` to ``path`` with mode 0600 from the first byte (never a moment
    world-readable), replacing any file there in one step."""
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    temporary = f"{path}.partial"
    if os.path.lexists(temporary):
        os.unlink(temporary)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.load(error).get("detail", ""))[:200]
    except (ValueError, AttributeError, OSError):
        return ""


def _target(value: str) -> tuple[str, str]:
    name, _, path = value.partition("=")
    if not name or not path.startswith("/"):
        raise SystemExit(f"{value!r}: give NAME=/absolute/path")
    return name, path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("files", nargs="+", metavar="NAME=PATH")
    return parser


if __name__ == "__main__":
    sys.exit(main())
