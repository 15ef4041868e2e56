"""Drafting-job throughput: a job run by one real Celery worker process against the same
batch drafted directly in-process.

    DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://... python bench/jobs_throughput.py

Runs a 1,000-item job on the template engine and a 64-item job on the local model server
(llama.cpp + Gemma 3 270M; `--skip-model` leaves it out). Both sides draft the same batch:
directly in this process, and as a job on the worker. A small job first warms the worker
(imports, connections), as this process is warmed by seeding. Commit latency on this
machine's disk varies a lot from run to run, so `--rounds` (default 5) repeats the
template round on fresh batches, alternating which side goes first, and reports the
median ratio. Prints items/s for each; the
last line is `RESULT jobs_vs_engine_ratio=<job / direct throughput>` (the worse of the two).
"""

import argparse
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import _setup  # noqa: F401  first: sets Django up, its database created and migrated
from django.contrib.auth.models import User

from builder.services import canon_load_file
from config.celery import app as celery_app
from prospects.drafting.pipeline import draft_for_decision
from prospects.drafting.runner import live_draft_run
from prospects.inbound.ingest import Inbound, inbound_ingest
from prospects.jobs.services import job_create
from prospects.models import DraftJobItem, Thread
from scripts.local_worker import worker_start


def seed(prefix: str, count: int) -> list[Thread]:
    decisions = []
    for number in range(count):
        result = inbound_ingest(
            inbound=Inbound(
                external_id=f"{prefix}-{number}-{time.time_ns()}",
                thread=f"{prefix}-{number}-{time.time_ns()}",
                sender="Bench",
                body="Hi there, nice to meet you",
                received_at=datetime.now(UTC),
            )
        )
        if result.draft is not None:
            # Its live draft, here and now: the rounds below measure only re-drafting.
            live_draft_run(result.draft)
        decisions.append(result.decision)
    return decisions


def direct(decisions, engine_id: str, concurrency: int = 1) -> float:
    """The pipeline's own draft call per decision, ``concurrency`` at a time (a job drafts
    a model engine's items ENGINE_CONCURRENCY at a time, so the model round does too)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(
            pool.map(lambda decision: draft_for_decision(decision, engine_id=engine_id), decisions)
        )
    return len(decisions) / (time.perf_counter() - started)


def by_job(decisions, engine_id: str, user) -> float:
    celery_app.conf.task_always_eager = False
    job = job_create(user=user, thread_ids=[d.thread_id for d in decisions], engine_id=engine_id)
    started = time.perf_counter()
    while DraftJobItem.objects.filter(job=job, status__in=DraftJobItem.PENDING).exists():
        time.sleep(0.05)
    return len(decisions) / (time.perf_counter() - started)


def worker(user) -> subprocess.Popen:
    """A worker process, warmed up by a small job so first-use costs stay out of the figure."""
    process = worker_start()
    by_job(seed("warm", 100), "template", user)
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template-items", type=int, default=1000)
    parser.add_argument("--model-items", type=int, default=64)
    parser.add_argument("--skip-model", action="store_true")
    parser.add_argument("--skip-template", action="store_true")
    parser.add_argument("--rounds", type=int, default=5, help="template rounds (median)")
    args = parser.parse_args()
    canon_load_file()
    user, _ = User.objects.get_or_create(username="bench")
    ratios = []
    process = worker(user)
    try:
        template_ratios = []
        for round_number in range(0 if args.skip_template else args.rounds):
            decisions = seed("tpl", args.template_items)
            # The second pass over a batch drafts threads that already have a draft: the
            # order alternates so neither side always gets the cheaper first pass.
            if round_number % 2:
                job_rate = by_job(decisions, "template", user)
                direct_rate = direct(decisions, "template")
            else:
                direct_rate = direct(decisions, "template")
                job_rate = by_job(decisions, "template", user)
            template_ratios.append(job_rate / direct_rate)
            print(
                f"template engine, {len(decisions)} items: direct {direct_rate:.1f} items/s, "
                f"job {job_rate:.1f} items/s, ratio {job_rate / direct_rate:.3f}"
            )
        if template_ratios:
            ratios.append(statistics.median(template_ratios))
            print(f"template engine, median ratio over {args.rounds} rounds: {ratios[0]:.3f}")
        if not args.skip_model:
            ratios.append(model_round(args.model_items, user))
    finally:
        process.kill()
    print(f"RESULT jobs_vs_engine_ratio={min(ratios):.3f}")


def model_round(count: int, user) -> float:
    from django.conf import settings

    from builder.files import workflow_import
    from builder.services import DEMO_WORKFLOWS_DIR, snippets_load_file
    from engines.services import engine_build_register
    from scripts.local_model_server import GENERATOR, ModelServer

    server = ModelServer().start()
    try:
        engine_id = "endpoint-gemma3-270m_2026-11-23.1"  # the demo workflows' engine
        engine_build_register(
            engine_id=engine_id,
            endpoint_url=server.url,
            served_model=GENERATOR,
            json_dialect="llama_cpp",
        )
        snippets_load_file()
        workflow_import(DEMO_WORKFLOWS_DIR, only_missing=True)
        decisions = seed("llm", count)
        direct_rate = direct(decisions, engine_id, concurrency=settings.ENGINE_CONCURRENCY)
        job_rate = by_job(decisions, engine_id, user)
        print(
            f"local model, {count} items: direct {direct_rate:.2f} items/s, "
            f"job {job_rate:.2f} items/s, ratio {job_rate / direct_rate:.3f}"
        )
        return job_rate / direct_rate
    finally:
        server.stop()


if __name__ == "__main__":
    main()
