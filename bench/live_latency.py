"""Live before batch: how long a live message waits for its draft while a big drafting job
runs on the same engine.

    DATABASE_URL=postgres://.../prospector_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/3 \\
        python bench/live_latency.py

A 3-step workflow (two think steps and the draft) runs on the fixed-latency server (200 ms
a call, so a chain takes 600 ms). A `--job-items` drafting job (default 5,000) starts on
that engine; then live messages arrive at `--rate` a second (default 2) for `--seconds`
(default 60). Three real workers run as deployed (deploy/systemd): the live worker on the
`live` queue, the drafting worker on `live,celery`, taking `live` first, and the events
worker (webhook posts) on `events`. Each live
message's wait is the time from ingest until its draft is no longer `queued`. Prints the
p50 and p95 waits and, last, `RESULT live_p95_over_chain=<p95 wait / chain latency>`
(goal: at most 2.0), the chain latency being the server's 3 x 200 ms.

Webhooks are on: a subscriber to every event answers each post after
`--subscriber-seconds` (default 2; 0 subscribes nobody), so every draft the job and the
live messages make queues a delivery beside the drafting (issue 33: a slow subscriber
never slows drafting).
"""

import argparse
import statistics
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import _setup  # noqa: F401  first: sets Django up, its database created and migrated
from django.contrib.auth.models import User
from django.db import connection

from bench.chains import STEPS, inbound, threads_to_redraft, three_step_workflow
from bench.fixed_latency_server import FixedLatencyServer
from builder.services import canon_load_file
from engines.services import engine_build_register
from prospects.engine_switch import draft_engine_set
from prospects.events.models import EventName, WebhookSubscription
from prospects.events.services import subscription_create
from prospects.inbound.ingest import inbound_ingest
from prospects.jobs.services import job_cancel, job_create
from prospects.models import Decision, Draft, DraftJobItem
from scripts.local_worker import worker_start

RUN = uuid.uuid4().hex[:8]
PREFIX = f"live-bench-{RUN}"
ENGINE = f"endpoint-fixed-latency_2026-12-05.{RUN}"
STEP_SECONDS = 0.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job-items", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--subscriber-seconds", type=float, default=2.0)
    args = parser.parse_args()
    canon_load_file()
    admin, _ = User.objects.get_or_create(username="bench-admin", is_superuser=True)

    server = FixedLatencyServer(STEP_SECONDS).start()
    engine_build_register(engine_id=ENGINE, endpoint_url=server.url, served_model="fixed")
    three_step_workflow(f"bench-live-{RUN}")
    threads = threads_to_redraft(PREFIX, args.job_items)
    draft_engine_set(engine_id=ENGINE, user=admin)
    subscriber = None
    if args.subscriber_seconds > 0:
        subscriber = SlowSubscriber(args.subscriber_seconds).start()
        subscription_create(url=subscriber.url, events=list(EventName.values), user=admin)
    workers = [
        worker_start(queues="live", concurrency=4),
        worker_start(queues="live,celery", concurrency=4, pool="threads"),
        worker_start(queues="events", concurrency=8, pool="threads"),
    ]
    job = job_create(user=admin, thread_ids=threads, engine_id=ENGINE)
    try:
        while not DraftJobItem.objects.filter(job=job, status=DraftJobItem.Status.DRAFTED):
            time.sleep(0.1)  # the job is running before the first live message arrives
        poller = DraftPoller().start()
        started = time.monotonic()
        for number in range(int(args.rate * args.seconds)):
            time.sleep(max(0.0, started + number / args.rate - time.monotonic()))
            moment = time.monotonic()
            message = inbound(PREFIX, f"live-{number}", "Are you free tonight?")
            result = inbound_ingest(inbound=message)
            poller.watch(result.draft.id, moment)
        waits = poller.finish(timeout=120)
        sent = list(poller.sent)
        job_done = DraftJobItem.objects.filter(job=job, status=DraftJobItem.Status.DRAFTED).count()
    finally:
        job_cancel(job=job)
        for process in workers:
            process.kill()
        server.stop()
        if subscriber:
            subscriber.stop()
            WebhookSubscription.objects.filter(url=subscriber.url).update(active=False)

    chain = STEPS * STEP_SECONDS
    waits.sort()
    p95 = waits[max(0, round(0.95 * len(waits)) - 1)]
    held = Decision.objects.filter(
        drafts__id__in=list(sent), drafts__status=Draft.Status.HELD, drafts__body=""
    ).count()
    print(
        f"{len(waits)} live messages at {args.rate:g}/s while a {args.job_items}-item job ran "
        f"({job_done} of its items drafted meanwhile): wait p50 "
        f"{statistics.median(waits):.3f} s, p95 {p95:.3f} s, max {waits[-1]:.3f} s; "
        f"chain {chain:.1f} s; {held} held without a body; webhooks: "
        + (
            f"a subscriber answering in {args.subscriber_seconds:g} s took {subscriber.posts} posts"
            if subscriber
            else "none"
        )
    )
    print(f"RESULT live_p95_over_chain={p95 / chain:.2f}")


class SlowSubscriber(ThreadingHTTPServer):
    """A webhook subscriber that takes ``seconds`` to answer each post."""

    daemon_threads = True

    def __init__(self, seconds: float):
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the stdlib's name
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(seconds)
                subscriber.posts += 1
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.posts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/events"

    def start(self) -> "SlowSubscriber":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class DraftPoller(threading.Thread):
    """Records, every 20 ms, when each watched draft left `queued`."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sent: dict = {}
        self.done: dict = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def start(self) -> "DraftPoller":
        super().start()
        return self

    def watch(self, draft_id, moment: float) -> None:
        with self.lock:
            self.sent[draft_id] = moment

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                with self.lock:
                    pending = [key for key in self.sent if key not in self.done]
                finished = Draft.objects.filter(id__in=pending).exclude(status=Draft.Status.QUEUED)
                moment = time.monotonic()
                with self.lock:
                    for draft_id in finished.values_list("id", flat=True):
                        self.done[draft_id] = moment - self.sent[draft_id]
                time.sleep(0.02)
        finally:
            connection.close()

    def finish(self, *, timeout: float) -> list[float]:
        deadline = time.monotonic() + timeout
        while len(self.done) < len(self.sent) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.stopping.set()
        self.join()
        missing = len(self.sent) - len(self.done)
        if missing:
            raise SystemExit(f"{missing} live drafts still queued after {timeout} s")
        return list(self.done.values())


if __name__ == "__main__":
    main()
