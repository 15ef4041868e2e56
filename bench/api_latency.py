"""Latency of the hot reads under load, against a production-style server.

    DATABASE_URL=postgres://.../prospector_scale python bench/api_latency.py

The database should hold `python manage.py seed_scale` data (100k threads, 1M messages,
200k drafts by default). Starts gunicorn (DEBUG=0, the production settings; requests
carry X-Forwarded-Proto as nginx would send it) on a loopback port, then runs
`--clients` concurrent clients for `--seconds`, each cycling through the four hot reads:
the held drafts list (API), a thread (API), the review queue page and the threads list
page with a search. Each client pauses `--think` seconds between requests (default 0.5 s:
a person reading a page, a poller's interval; 0 = back to back, the saturation figure).
Prints p50/p95/p99 per route and, last, `RESULT worst_p95_ms=<n>`.
"""

import argparse
import http.client
import os
import random
import signal
import statistics
import subprocess
import threading
import time

from _setup import ROOT  # first: sets Django up, its database created and migrated
from django.contrib.auth.models import Group, User
from django.test import Client
from knox.models import AuthToken

from core.roles import Role
from prospects.models import Thread

# What nginx adds in front of gunicorn: the request came in over TLS.
FORWARDED_HTTPS = {"X-Forwarded-Proto": "https"}
ROUTES = ("api drafts held", "api thread", "review page", "threads search page")
SERVER_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "LOG_LEVEL": "WARNING",
    # One token per client (below), so the per-user throttle is not what is measured.
    "API_THROTTLE_USER": "100000/min",
}


def bench_user(name: str) -> User:
    user, _ = User.objects.get_or_create(username=name)
    user.groups.add(Group.objects.get_or_create(name=Role.ADMIN.value)[0])
    return user


def panel_session(name: str) -> str:
    panel = Client()
    panel.force_login(bench_user(name))
    return panel.cookies["sessionid"].value


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            f"--threads={threads}",
            "--worker-class=gthread",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env={**os.environ, **SERVER_ENV},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            probe.request("GET", "/healthz", headers=FORWARDED_HTTPS)
            if probe.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not come up")


def run_client(port, token, session, thread_ids, seconds, think, results, seed):
    # The stdlib client: httpx spent more CPU per request than some of the routes it was
    # timing, on the same two cores. A connection per request, as nginx opens to its
    # upstream, so each request goes to whichever gunicorn worker accepts first.
    draw = random.Random(seed)
    api = {**FORWARDED_HTTPS, "Authorization": f"Token {token}"}
    panel = {**FORWARDED_HTTPS, "Cookie": f"sessionid={session}"}
    deadline = time.monotonic() + seconds
    turn = seed
    while time.monotonic() < deadline:
        route = ROUTES[turn % len(ROUTES)]
        turn += 1
        if route == "api drafts held":
            path, headers = "/api/drafts/?status=held", api
        elif route == "api thread":
            path, headers = f"/api/threads/{draw.choice(thread_ids)}/", api
        elif route == "review page":
            path, headers = "/review/", panel
        else:
            path, headers = f"/threads/?q=seed-{draw.randrange(100_000)}", panel
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            results.setdefault("errors", []).append(f"{route}: {response.status}")
        results.setdefault(route, []).append(elapsed)
        if think:
            time.sleep(think)


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[round(share * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.5)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8931)
    args = parser.parse_args()

    thread_ids = [str(pk) for pk in Thread.objects.values_list("id", flat=True)[:5000]]
    if len(thread_ids) < 100:
        raise SystemExit("Seed first: python manage.py seed_scale")
    # A token and a panel session per client, each its own reviewer: the review queue
    # then opens a different draft for each, as it would for a team.
    tokens = [AuthToken.objects.create(bench_user(f"bench-{n}"))[1] for n in range(args.clients)]
    sessions = [panel_session(f"bench-panel-{n}") for n in range(args.clients)]

    server = start_server(args.port, args.workers, args.threads)
    results: dict = {}
    try:
        warm = {}
        run_client(args.port, tokens[0], sessions[0], thread_ids, 3, 0, warm, 0)
        clients = [
            threading.Thread(
                target=run_client,
                args=(
                    args.port,
                    tokens[n],
                    sessions[n],
                    thread_ids,
                    args.seconds,
                    args.think,
                    results,
                    n,
                ),
            )
            for n in range(args.clients)
        ]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    errors = results.pop("errors", [])
    total = sum(len(values) for values in results.values())
    print(
        f"{args.clients} clients, {args.seconds:.0f} s, think {args.think} s, "
        f"gunicorn {args.workers}x{args.threads}: {total} requests, {total / args.seconds:.0f}/s, "
        f"{len(errors)} errors {sorted(set(errors))[:5]}"
    )
    worst = 0.0
    for route in ROUTES:
        values = results.get(route, [])
        p50, p95, p99 = (percentile(values, share) for share in (0.50, 0.95, 0.99))
        worst = max(worst, p95)
        print(
            f"{route:22s} n={len(values):6d}  "
            f"p50={p50:6.1f} ms  p95={p95:6.1f} ms  p99={p99:6.1f} ms"
        )
    print(f"RESULT worst_p95_ms={worst:.0f}")


if __name__ == "__main__":
    main()
