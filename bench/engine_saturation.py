"""Does the worker use the server we pay for? Drafts/s through the real worker against the
server's batch capacity.

    DATABASE_URL=postgres://.../prospector_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/3 \\
        python bench/engine_saturation.py

The fixed-latency server stands in for vLLM's batch: it works on `--capacity` requests at
once (default 64), each for `--latency` seconds (default 2.0, a think step of ~100 tokens
on a rented GPU), and queues the rest. A 3-step workflow runs on a build whose
max_concurrency is the capacity, so the server's capacity is capacity / latency / 3
drafts a second. A drafting job of `--items` threads (default 1,500) runs on the drafting
worker as deployed (one process, thread pool, queues live,celery). Drafts/s is counted
over a window that leaves out the first and last `--settle` seconds (default 15: the
ramp-up and the tail). Prints the figures and, last,
`RESULT worker_vs_capacity_ratio=<drafts/s / capacity>` (goal: at least 0.85).
"""

import argparse
import time
import uuid

import _setup  # noqa: F401  first: sets Django up, its database created and migrated
from django.contrib.auth.models import User

from bench.chains import STEPS, threads_to_redraft, three_step_workflow
from bench.fixed_latency_server import FixedLatencyServer
from builder.services import canon_load_file
from engines.services import engine_build_register
from prospects.jobs.services import job_cancel, job_create
from prospects.models import DraftJobItem
from scripts.local_worker import worker_start

RUN = uuid.uuid4().hex[:8]
ENGINE = f"endpoint-fixed-batch_2026-12-05.{RUN}"
FINISHED = [DraftJobItem.Status.DRAFTED, DraftJobItem.Status.HELD, DraftJobItem.Status.FAILED]


def finished(job) -> int:
    return DraftJobItem.objects.filter(job=job, status__in=FINISHED).count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capacity", type=int, default=64)
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--items", type=int, default=1500)
    parser.add_argument("--settle", type=float, default=15.0)
    args = parser.parse_args()
    canon_load_file()
    admin, _ = User.objects.get_or_create(username="bench-admin", is_superuser=True)

    server = FixedLatencyServer(args.latency, capacity=args.capacity).start()
    engine_build_register(
        engine_id=ENGINE,
        endpoint_url=server.url,
        served_model="fixed",
        max_concurrency=args.capacity,
    )
    three_step_workflow(f"bench-saturation-{RUN}")
    threads = threads_to_redraft(f"saturation-bench-{RUN}", args.items)
    worker = worker_start(queues="live,celery", concurrency=4, pool="threads")
    capacity = args.capacity / args.latency / STEPS
    job = job_create(user=admin, thread_ids=threads, engine_id=ENGINE)
    try:
        while finished(job) == 0:
            time.sleep(0.2)
        time.sleep(args.settle)
        start, done_at_start = time.monotonic(), finished(job)
        expected_seconds = args.items / capacity
        window = max(10.0, expected_seconds - 3 * args.settle)
        time.sleep(window)
        elapsed, done = time.monotonic() - start, finished(job) - done_at_start
        peak = server.peak_in_flight
        while finished(job) < args.items and time.monotonic() - start < 3 * expected_seconds:
            time.sleep(1)
        total = finished(job)
    finally:
        job_cancel(job=job)
        worker.kill()
        server.stop()

    rate = done / elapsed
    print(
        f"capacity {args.capacity} at once x {args.latency:g} s a call, {STEPS} calls a "
        f"draft: {capacity:.2f} drafts/s; worker: {done} drafts in {elapsed:.1f} s = "
        f"{rate:.2f} drafts/s; peak calls in flight {peak}; {total} of {args.items} items "
        "finished"
    )
    print(f"RESULT worker_vs_capacity_ratio={rate / capacity:.2f}")


if __name__ == "__main__":
    main()
