"""The linear move head's speed: per message, and what deciding with it costs ingest.

    DATABASE_URL=postgres://.../prospector_bench python bench/classify_speed.py

Trains a head on tests/fixtures/moves/labelled.jsonl and second_set.jsonl (what
`manage.py moves train --labels` does), then, in this one process:
1. asks it every message of the three corpus files `--repeat` times, through the path
   ingest takes (the registry's loaded head, the contract's checks), after one warm-up
   pass that loads it: p50 and p99 per message (target: p99 under 2 ms);
2. ingests `--messages` messages (the third set's bodies, each its own thread) with the
   rules live, and as many with the head live, in `--rounds` rounds that alternate which
   side goes first: `inbound_ingest` stores, decides and queues in one transaction, as
   the API does (without HTTP, which would only add the same cost to both sides). Short
   alternating rounds put both sides under the same load from whatever else the machine
   runs. Each side's messages over its seconds, their ratio over all rounds, and the
   median of the rounds' ratios, which the RESULT gives (target: head / rules at least
   0.95).
Prints `RESULT head_p99_ms=<p99> head_cpu_p99_ms=<p99> ingest_ratio=<head / rules>`.
"""

import argparse
import statistics
import time
from datetime import UTC, datetime

import _setup  # noqa: F401  first: sets Django up, its database created and migrated

from builder.services import canon_load_file
from engines.classifier import classify_move
from prospects.builds.move_head import move_head_train
from prospects.deciding.move_corpus import labelled_files
from prospects.engine_switch import classifier_engine_set
from prospects.inbound.ingest import Inbound, inbound_ingest
from prospects.models import RULES, Draft
from prospects.selectors import pipeline_settings

CORPUS = _setup.ROOT / "tests" / "fixtures" / "moves"
RUN = datetime.now(UTC).strftime("%Y%m%d%H%M%S")


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def head_latencies(engine_id: str, bodies: list[str], repeat: int) -> tuple[list, list]:
    """Seconds per answer, sorted: on the wall clock, and on this thread's CPU clock (what
    the head itself costs, without the waits a busy machine adds)."""
    for body in bodies:  # warm-up: the first answer loads the head
        classify_move(body, engine_id)
    wall, cpu = [], []
    for _ in range(repeat):
        for body in bodies:
            start, start_cpu = time.perf_counter(), time.thread_time()
            outcome = classify_move(body, engine_id)
            cpu.append(time.thread_time() - start_cpu)
            wall.append(time.perf_counter() - start)
            assert outcome.answer is not None, outcome.problem
    return sorted(wall), sorted(cpu)


def ingest_seconds(classifier: str, bodies: list[str], label: str) -> float:
    """Seconds to ingest ``bodies`` with ``classifier`` live."""
    classifier_engine_set(engine_id=classifier, user=None)
    start = time.perf_counter()
    for number, body in enumerate(bodies):
        name = f"speed-{RUN}-{label}-{number}"
        inbound_ingest(
            inbound=Inbound(
                external_id=name,
                thread=name,
                sender="Bench",
                body=body,
                received_at=datetime.now(UTC),
            )
        )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--messages", type=int, default=50, help="a side's messages a round")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    canon_load_file()
    live_before = pipeline_settings().classifier_engine
    training = move_head_train(
        extra=labelled_files([CORPUS / "labelled.jsonl", CORPUS / "second_set.jsonl"])
    )
    engine_id = training.build.engine_id
    print(f"head {engine_id}: {training.run.data_lines} lines, {training.result_line()}")

    corpus = labelled_files(sorted(CORPUS.glob("**/*.jsonl")))
    wall, cpu = head_latencies(engine_id, [item.body for item in corpus], args.repeat)
    p50, p99 = percentile(wall, 0.5) * 1000, percentile(wall, 0.99) * 1000
    cpu_p50, cpu_p99 = percentile(cpu, 0.5) * 1000, percentile(cpu, 0.99) * 1000
    print(f"head per message: {len(wall)} answers, p50 {p50:.3f} ms, p99 {p99:.3f} ms")
    print(f"  its own CPU time: p50 {cpu_p50:.3f} ms, p99 {cpu_p99:.3f} ms")

    third = [item.body for item in labelled_files([CORPUS / "held_out" / "third_set.jsonl"])]
    bodies = [third[number % len(third)] for number in range(args.messages)]
    sides = {"rules": RULES, "head": engine_id}
    seconds_of = dict.fromkeys(sides, 0.0)
    round_ratios = []
    try:
        for round_number in range(args.rounds):
            order = list(sides) if round_number % 2 == 0 else list(sides)[::-1]
            took = {
                side: ingest_seconds(sides[side], bodies, f"{side}-{round_number}")
                for side in order
            }
            round_ratios.append(took["rules"] / took["head"])
            for side, seconds in took.items():
                seconds_of[side] += seconds
    finally:
        classifier_engine_set(engine_id=live_before, user=None)
    total = args.messages * args.rounds
    rate = {side: total / seconds for side, seconds in seconds_of.items()}
    for side in sides:
        drafts = Draft.objects.filter(thread__handle__startswith=f"speed-{RUN}-{side}-").count()
        print(f"ingest, {side} live: {total} messages, {rate[side]:.1f} msgs/s, {drafts} drafts")
    print(f"head / rules: {rate['head'] / rate['rules']:.3f} over all rounds")
    # Each round's two sides ran a few seconds apart: their ratio cancels the load the
    # rest of the machine adds, and the median over rounds ignores a round a burst hit.
    ratio = statistics.median(round_ratios)
    print(f"head / rules: {ratio:.3f}, the median of {args.rounds} rounds' ratios")
    print(f"RESULT head_p99_ms={p99:.3f} head_cpu_p99_ms={cpu_p99:.3f} ingest_ratio={ratio:.3f}")


if __name__ == "__main__":
    main()
