from builder.taxonomy import ThreadState
from prospects.gate2 import Gate2Rule, evaluate


def run(**overrides):
    values = {
        "move": "pursue",
        "thread_state": ThreadState.ENGAGED,
        "sends_today": 0,
        "max_sends_per_day": 3,
    }
    values.update(overrides)
    return evaluate(**values)


def test_an_ordinary_decision_passes_every_rule():
    result = run()
    assert not result.forces_hold
    assert {r["rule"] for r in result.results} == set(Gate2Rule.values)


def test_escalation_needs_a_person():
    assert run(move="escalate").failed_rules == [Gate2Rule.HUMAN_ONLY_MOVE]


def test_closed_thread_forces_hold():
    assert run(thread_state=ThreadState.CLOSED).failed_rules == [Gate2Rule.THREAD_CLOSED]


def test_send_rate_limit_forces_hold():
    assert run(sends_today=3).failed_rules == [Gate2Rule.SEND_RATE]
    assert not run(sends_today=2).forces_hold
