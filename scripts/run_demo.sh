#!/usr/bin/env bash
# `make run`: the panel and a worker on SQLite and a filesystem broker; no service needed.
set -euo pipefail
cd "$(dirname "$0")/.."

export SECRET_KEY="${SECRET_KEY:-$(cat var/secret_key)}"
export DEBUG="${DEBUG:-1}"
PORT="${PORT:-8000}"
BIN=.venv/bin

mkdir -p var/broker var/broker-control
$BIN/python manage.py migrate --no-input -v 0
# run_llm.sh adds --new-messages: drafts for the live model engine to write.
$BIN/python manage.py load_demo ${DEMO_LOAD_ARGS:-}

# -B runs the beat schedule (job sweeper, GPU tick) inside this one demo worker.
$BIN/celery -A config worker -B -Q live,celery,lifecycle,events --schedule var/celerybeat-schedule --loglevel=WARNING --pool=solo --concurrency=1 &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null' EXIT
trap 'exit 130' INT TERM

echo
echo "Prospector panel: http://127.0.0.1:${PORT}/"
echo "Logins: admin, operator, coworker  password: ${DEMO_PASSWORD:-prospector-demo}"
echo
$BIN/python manage.py runserver --noreload "127.0.0.1:${PORT}"
