"""Engine overhead: a 3-step workflow over N drafts through the GPU engine, against the
same prompts sent straight to the same server with the same concurrency.

    python bench/engine_overhead.py --server fixed --latency-ms 200   # isolates our overhead
    python bench/engine_overhead.py --server local --n 64             # llama.cpp + Gemma 270M

Prints per-run figures; the last line is `RESULT overhead_ratio=<engine / direct throughput>`.
"""

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import _setup  # noqa: F401  first: sets Django up, its database created and migrated
import httpx

from engines.base import DraftRequest, Step, Turn, WorkflowSpec
from engines.chain import step_prompt
from engines.dialect import Dialect
from engines.inference import InferenceClient
from engines.model_engine import ModelEngine, draft_batch, max_tokens_for
from engines.model_tasks import DRAFT

MESSAGES = [
    "Hi! Are you free this weekend?",
    "Hello, saw your profile, could we meet Friday evening?",
    "Hey, what time works for you tomorrow?",
    "Good evening! Is next Tuesday possible?",
]


def workflow(draft_chars: int) -> WorkflowSpec:
    return WorkflowSpec(
        label="bench@1",
        context=(("Voice rule: warm-brief", "Warm, calm and brief."),),
        steps=(
            Step("think", "What does the person want?"),
            Step("think", "Which single question moves them to a time?"),
            Step("draft", "Write the reply.", draft_chars),
        ),
    )


def requests(n: int, spec: WorkflowSpec) -> list[DraftRequest]:
    return [
        DraftRequest(
            template_key="pursue.next_step",
            canon_text="",
            max_chars=1000,
            inbound_body=MESSAGES[i % len(MESSAGES)],
            history=(Turn("Client", MESSAGES[i % len(MESSAGES)]),),
            workflow=spec,
        )
        for i in range(n)
    ]


def run_engine(url, model, dialect, batch, concurrency) -> tuple[float, int]:
    with InferenceClient(url, dialect=dialect, seed=7) as client:
        engine = ModelEngine(engine_id="endpoint-bench_1", client=client, model=model)
        started = time.perf_counter()
        results = draft_batch(engine, batch, concurrency=concurrency)
        elapsed = time.perf_counter() - started
    failures = sum(1 for result in results if isinstance(result, Exception))
    return elapsed, failures


def run_direct(url, model, batch, concurrency) -> tuple[float, int]:
    """The same chain with bare httpx: no breaker, retries, deadline or activity rows."""
    http = httpx.Client(base_url=url, timeout=120, limits=httpx.Limits(max_connections=64))

    def chain(request: DraftRequest) -> bool:
        outputs = []
        for index, step in enumerate(request.workflow.steps):
            prompt = step_prompt(request, index, outputs)
            response = http.post(
                "/v1/chat/completions",
                json={
                    "model": model,
                    "messages": list(prompt.messages),
                    "max_tokens": max_tokens_for(step),
                    "temperature": DRAFT.temperature,
                    "stop": list(DRAFT.stop),
                    "seed": 7,
                },
            )
            if response.status_code != 200:
                return False
            outputs.append(response.json()["choices"][0]["message"]["content"].strip())
        return True

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(chain, batch))
    elapsed = time.perf_counter() - started
    http.close()
    return elapsed, results.count(False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["fixed", "local"], default="fixed")
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    if args.server == "fixed":
        from bench.fixed_latency_server import FixedLatencyServer

        server = FixedLatencyServer(args.latency_ms / 1000).start()
        model, dialect, draft_chars = "fixed", Dialect.OPENAI, 300
    else:
        from django.conf import settings

        from scripts.local_model_server import GENERATOR, ModelServer

        settings.GPU_THINK_MAX_TOKENS = 24
        server = ModelServer().start()
        model, dialect, draft_chars = GENERATOR, Dialect.LLAMA_CPP, 60
    batch = requests(args.n, workflow(draft_chars))
    print(f"server={args.server} n={args.n} concurrency={args.concurrency} steps=3")
    ratios = []
    try:
        for round_number in range(1, args.rounds + 1):
            direct, direct_failed = run_direct(server.url, model, batch, args.concurrency)
            engine, engine_failed = run_engine(server.url, model, dialect, batch, args.concurrency)
            ratio = (args.n / engine) / (args.n / direct)
            ratios.append(ratio)
            print(
                f"round {round_number}: direct {args.n / direct:.2f} drafts/s "
                f"({direct:.2f}s, {direct_failed} failed) | engine {args.n / engine:.2f} "
                f"drafts/s ({engine:.2f}s, {engine_failed} failed) | ratio {ratio:.3f}"
            )
    finally:
        server.stop()
    ratios.sort()
    print(f"RESULT overhead_ratio={ratios[len(ratios) // 2]:.3f}")


if __name__ == "__main__":
    main()
