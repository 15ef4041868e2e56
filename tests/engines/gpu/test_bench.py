"""The GPU policy benchmark's own guarantees: its optimum is a true lower bound on
``total``, and it ends with the RESULT line."""

import importlib.util
import random
from pathlib import Path

import pytest

from engines.billing import Rule, billing_for

BENCH = Path(__file__).resolve().parents[3] / "bench" / "gpu_policy.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_gpu_policy", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synthetic_traces() -> list[list[float]]:
    rng = random.Random(7)
    traces = []
    for mean_gap in (5.0, 60.0, 400.0, 3000.0):
        moment, arrivals = 0.0, []
        for _ in range(25):
            moment += rng.expovariate(1 / mean_gap)
            arrivals.append(round(moment, 3))
        traces.append(arrivals)
    traces.append([0.0, 1.0, 2.0, 4000.0, 4001.0, 9000.0])  # bursts and a long pause
    # Back to back from the trace's start: the first boot delays every job behind it.
    traces.append([index * 20.0 for index in range(30)])
    return traces


@pytest.mark.parametrize("rule", list(Rule))
def test_no_policy_scores_below_the_optimum_on_total(bench, rule):
    params = bench.Params(
        service=20,
        boot=180,
        billing=billing_for({"rule": rule, "minimum_seconds": 60}),
        price=3.44,
        tick=5,
        wait_value=20,
    )
    for arrivals in synthetic_traces():
        best = bench.optimum(arrivals, params).total(params)
        for outcome in bench.replay(arrivals, params):
            assert outcome.total(params) >= best - 1e-9, (outcome.name, arrivals)


def test_the_run_ends_with_the_result_line(bench, tmp_path, capsys):
    trace = tmp_path / "tiny.txt"
    trace.write_text("10\n15\n400\n5000\n")
    assert bench.main(["--trace", str(trace), "--no-adversary"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("RESULT total_ratio_vs_optimal=")
    assert " beats_every_baseline=" in last
