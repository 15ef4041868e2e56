"""The GPU policy benchmark's own guarantees: its optimum is a true lower bound on
``total``, and it ends with the RESULT line."""

import dataclasses
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
    params = params_for(bench, rule)
    for arrivals in synthetic_traces():
        best = bench.optimum(arrivals, params).total(params)
        for outcome in bench.replay(arrivals, params):
            assert outcome.total(params) >= best - 1e-9, (outcome.name, arrivals)


def test_the_run_ends_with_the_result_line(bench, tmp_path, capsys):
    trace = tmp_path / "tiny.txt"
    trace.write_text("10\n15\n400\n5000\n")
    assert bench.main(["--trace", str(trace), "--no-adversary"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = dict(item.split("=") for item in last.removeprefix("RESULT ").split())
    assert set(figures) == {
        "vs_hindsight",
        "beats_every_baseline",
        "peer_margin",
        "vs_adversarial_floor",
        "periodic_gain",
    }
    assert figures["periodic_gain"] == "n/a"  # nothing in this trace says "# periodic"


def params_for(bench, rule):
    return bench.Params(
        service=20,
        boot=180,
        billing=billing_for({"rule": rule, "minimum_seconds": 60}),
        price=3.44,
        tick=5,
        wait_value=20,
    )


@pytest.mark.parametrize("rule", list(Rule))
def test_skipping_quiet_ticks_decides_exactly_as_asking_at_every_tick(bench, rule):
    params = params_for(bench, rule)
    periodic = [slot * 1800.0 + 7 * (slot % 3) + job for slot in range(24) for job in range(4)]
    for arrivals in [*synthetic_traces(), periodic, [index * 1550.0 for index in range(30)]]:
        for policy in (params.policy(None), params.policy(300.0, predict=False)):
            quick = bench.run_planned("", arrivals, params, policy)
            slow = bench.run_planned("", arrivals, params, policy, every_tick=True)
            assert (quick.billed_seconds, quick.provisions, quick.waits) == (
                slow.billed_seconds,
                slow.provisions,
                slow.waits,
            )


def test_work_left_undone_is_charged_until_a_ready_machine_would_have_done_it(bench):
    params = params_for(bench, Rule.PER_SECOND)
    never = params.policy(0.0, predict=False)
    never = dataclasses.replace(never, daily_budget=0.0)  # it may never provision
    outcome = bench.run_planned("", [0.0, 1.0], params, never)
    cap = bench.SAFETY_CAP_SECONDS
    assert outcome.undone == 2
    assert outcome.waits == pytest.approx([1.0 + cap, cap + 20])


def test_avoidable_cost_leaves_out_the_queueing_any_ready_machine_has(bench):
    params = params_for(bench, Rule.PER_SECOND)
    burst = [1000.0] * 10  # the tenth waits 180 s even on a machine that is always ready
    best = bench.optimum(burst, params)
    assert best.unavoidable_wait == sum(20 * position for position in range(10))
    assert best.avoidable(params) == pytest.approx(best.gpu_cost(params))


def test_clock_driven_work_is_booted_for_and_beats_the_best_fixed_grace(bench):
    params = params_for(bench, Rule.PER_SECOND)
    batches = [slot * 1800.0 + 11 * (slot % 4) + job for slot in range(48) for job in range(5)]
    ours = bench.run_planned("", batches, params, params.policy(None)).avoidable(params)
    hindsight, _ = bench.best_fixed_grace(batches, params)
    assert ours < 0.7 * hindsight
