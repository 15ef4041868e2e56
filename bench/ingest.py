"""Ingest under load: every accepted message must come out decided and drafted.

    DATABASE_URL=postgres://.../prospector_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/3 \
        python bench/ingest.py

Starts gunicorn (DEBUG=0, production settings) on a loopback port and a real Celery worker
draining the live queue at the same time (the template engine), then posts `--messages`
inbound messages (default 20,000) from `--clients` concurrent clients (default 20), each
message its own POST /api/inbound/ (or `--batch` messages a POST, the API's list form).
Ingest only stores, decides and queues; the worker drafts. Prints
`RESULT ingest_msgs_per_s=<accepted / seconds of posting>` and, once the worker has
drained (or `--drain-seconds` passed), `RESULT ingest_lost=<n>`: accepted messages with
no decision, or whose reply is still queued or missing. It must be 0.
"""

import argparse
import signal
import threading
import time
from datetime import UTC, datetime

import _setup  # noqa: F401  first: sets Django up, its database created and migrated
import httpx
from knox.models import AuthToken

from bench.api_latency import FORWARDED_HTTPS, bench_user, start_server
from builder.services import canon_load_file
from prospects.models import Decision, Draft, InboundMessage
from scripts.local_worker import worker_start

RUN = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
BODIES = [
    "Hi! Saw your profile, would love to meet.",
    "Are you free Saturday evening?",
    "Could we do a quick 30 minutes tonight?",
    "What's your address? Which area are you in?",
    "Boost your ranking with our SEO services, click here",
]


def message(number: int) -> dict:
    return {
        "external_id": f"ingest-{RUN}-{number}",
        "thread": f"ingest-{RUN}-{number % 2000}",
        "sender": "Bench",
        "body": BODIES[number % len(BODIES)],
        "received_at": datetime.now(UTC).isoformat(),
    }


def post_messages(base, token, numbers, batch, accepted, failures):
    """Posts the messages one per request, or ``batch`` to a request (the API's list form)."""
    headers = {**FORWARDED_HTTPS, "Authorization": f"Token {token}"}
    numbers = list(numbers)
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        for start in range(0, len(numbers), batch):
            payload = [message(number) for number in numbers[start : start + batch]]
            try:
                response = http.post("/api/inbound/", json=payload if batch > 1 else payload[0])
            except httpx.HTTPError as error:
                failures.append(f"{type(error).__name__}")
                continue
            if response.status_code in (200, 201):
                accepted.extend(item["external_id"] for item in payload)
            else:
                failures.append(str(response.status_code))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=8933)
    parser.add_argument("--drain-seconds", type=float, default=600)
    parser.add_argument(
        "--batch", type=int, default=1, help="messages per POST (the API takes up to 100)"
    )
    args = parser.parse_args()

    canon_load_file()
    tokens = [AuthToken.objects.create(bench_user(f"ingest-{n}"))[1] for n in range(args.clients)]
    server = start_server(args.port, args.workers, args.threads)
    worker = worker_start()
    accepted: list[str] = []
    failures: list[str] = []
    started = time.monotonic()
    try:
        clients = [
            threading.Thread(
                target=post_messages,
                args=(
                    f"http://127.0.0.1:{args.port}",
                    tokens[n],
                    range(n, args.messages, args.clients),
                    args.batch,
                    accepted,
                    failures,
                ),
            )
            for n in range(args.clients)
        ]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        elapsed = time.monotonic() - started
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        drained = wait_for_drafts(args.drain_seconds)
    finally:
        server.send_signal(signal.SIGTERM)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)

    ours = {"message__external_id__startswith": f"ingest-{RUN}-"}
    decided = set(Decision.objects.filter(**ours).values_list("message__external_id", flat=True))
    needs_reply = set(
        Decision.objects.filter(**ours)
        .exclude(template_key="")
        .values_list("message__external_id", flat=True)
    )
    drafted = set(
        Draft.objects.filter(**{f"decision__{key}": value for key, value in ours.items()})
        .exclude(status=Draft.Status.QUEUED)
        .values_list("decision__message__external_id", flat=True)
    )
    stored = InboundMessage.objects.filter(external_id__startswith=f"ingest-{RUN}-").count()
    lost = len(set(accepted) - decided) + len((set(accepted) & needs_reply) - drafted)
    print(
        f"{args.messages} messages from {args.clients} clients, {args.batch} a POST, gunicorn "
        f"{args.workers}x{args.threads}, one worker draining: {len(accepted)} accepted in "
        f"{elapsed:.1f} s; {stored} stored, {len(decided)} decided, {len(drafted)} drafted "
        f"(all drafted {drained:.1f} s after the last post); "
        f"refused: {len(failures)} {sorted(set(failures))[:5]}"
    )
    print(f"RESULT ingest_msgs_per_s={len(accepted) / elapsed:.1f}")
    print(f"RESULT ingest_lost={lost}")


def wait_for_drafts(limit: float) -> float:
    """Seconds until no draft of this run is queued any more (or ``limit``)."""
    started = time.monotonic()
    queued = Draft.objects.filter(
        status=Draft.Status.QUEUED, decision__message__external_id__startswith=f"ingest-{RUN}-"
    )
    while queued.exists() and time.monotonic() - started < limit:
        time.sleep(1)
    return time.monotonic() - started


if __name__ == "__main__":
    main()
