#!/usr/bin/env bash
# `make tune`: the tuning loop on the demo's database (the one `make run` and `make run-llm`
# use): the tuning corpus as the coworker's corrections of the endpoint build, a child
# trained from them on this CPU, both evaluated on the held-out threads, and the child
# promoted to draft engine if the guards pass. `make run-llm` then drafts with it.
set -euo pipefail
cd "$(dirname "$0")/.."

export SECRET_KEY="${SECRET_KEY:-$(cat var/secret_key)}"
BIN=.venv/bin
$BIN/python manage.py migrate --no-input -v 0
$BIN/python manage.py load_demo
LOG_LEVEL="${LOG_LEVEL:-WARNING}" $BIN/python manage.py tuning_loop "$@"
