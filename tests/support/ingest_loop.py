"""A second web process for tests: ingests one message for every line on stdin and prints
who decided it (``<classified_by> vendor=<bool>``), staying up between lines, so a test
sees whether a change made elsewhere reaches a process that is already running.

    python -m tests.support.ingest_loop   # DATABASE_URL names the test database
"""

import os
import sys

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    # Models and services import only once Django is set up.
    from core.clock import now
    from prospects.inbound.ingest import Inbound, inbound_ingest

    for number, line in enumerate(sys.stdin):
        name = f"loop-{os.getpid()}-{number}"
        decision = inbound_ingest(
            inbound=Inbound(
                external_id=name, thread=name, sender="Sam", body=line.strip(), received_at=now()
            )
        ).decision
        print(f"{decision.classified_by} vendor={decision.move == 'vendor'}", flush=True)


if __name__ == "__main__":
    main()
