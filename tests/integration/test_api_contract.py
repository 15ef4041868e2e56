"""The API keeps its schema (issue 33): schemathesis, every check, against `make run` as a
newcomer starts it, with an admin's token. DELETE and logout are left out: a generated
DELETE removes what the other operations' examples need, a logout revokes the token.

What a schema cannot say (a reference to a row that may not exist, a rule across fields)
is named per operation in schemathesis.toml, which the CLI reads from the tree's root.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.demo import Demo, api_client, spare_ports

pytestmark = pytest.mark.integration

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# Examples per operation and phase: bounded for `make test`; raise it for a deeper run.
EXAMPLES = 5


@pytest.mark.timeout(900)
def test_every_operation_keeps_the_schema_against_make_run(demo_tree):
    (port,) = spare_ports(1)
    demo = Demo(demo_tree, "run", port).start(timeout=300)
    try:
        with api_client(demo.url) as api:
            token = api.headers["Authorization"]
        run = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"{demo.url}/api/schema/",
                "--checks=all",
                "--header",
                f"Authorization: {token}",
                "--exclude-method=DELETE",
                "--exclude-path-regex=logout",
                f"--max-examples={EXAMPLES}",
                "--seed=1",
                # The demo's SQLite waits out a write lock (up to 30 s) on a loaded machine.
                "--request-timeout=60",
                "--no-color",
            ],
            cwd=demo_tree,
            capture_output=True,
            text=True,
            timeout=800,
        )
        # Non-zero on any failure or error, with each one and its curl in the output.
        assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
        assert demo.server_errors() == []
    finally:
        left_behind = demo.stop()
    assert left_behind == [], f"processes left running: {left_behind}"
