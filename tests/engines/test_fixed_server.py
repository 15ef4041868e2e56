"""Engine behaviour against a deterministic OpenAI-compatible server (exact answers)."""

import json

import pytest

from bench.fixed_latency_server import ANSWER, FixedLatencyServer
from engines.base import DraftResult, EngineError
from engines.breaker import breakers_forget
from engines.dialect import Dialect
from engines.inference import InferenceClient
from engines.model_engine import ModelEngine, draft_batch
from engines.registry import clients_close
from tests.support.drafting import classifier_live, ingest
from tests.support.factories import GEMMA, MOVES_BUILD, make_inbound
from tests.support.requests import request

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server():
    answers = {
        "broken-head": json.dumps({"is_prospect": False, "move": "pursue", "trace": "x"}),
        "good-head": json.dumps({"is_prospect": False, "move": "vendor", "trace": "agency"}),
    }
    running = FixedLatencyServer(0.05, answers=answers).start()
    breakers_forget()
    clients_close()
    yield running
    clients_close()
    running.stop()


def test_one_failure_never_fails_the_batch(server):
    with InferenceClient(server.url, dialect=Dialect.OPENAI) as client:
        engine = ModelEngine(engine_id=GEMMA, client=client, model="voice")
        results = draft_batch(
            engine, [request("a"), request("b", workflow=None), request("c")], concurrency=3
        )
    assert isinstance(results[1], EngineError)
    assert results[1].reason == "no_workflow"
    for result in (results[0], results[2]):
        assert isinstance(result, DraftResult)
        assert result.body == ANSWER
        assert [step["kind"] for step in result.steps] == ["think", "draft"]
        assert ANSWER in result.steps[1]["messages"][1]["content"]  # think output fed forward


@pytest.mark.parametrize(
    ("head", "classified_by", "move", "trace"),
    [
        ("broken-head", "rules", "opener", "invariant broken"),
        ("good-head", MOVES_BUILD, "vendor", "agency"),
    ],
)
def test_the_move_head_is_validated_and_the_rules_decide_when_it_is_wrong(
    server, settings, canon, head, classified_by, move, trace
):
    classifier_live(head, url=server.url, dialect="openai")
    decision = ingest(make_inbound("Hi there")).decision
    assert (decision.classified_by, decision.move) == (classified_by, move)
    assert trace in (decision.classifier_problem if classified_by == "rules" else decision.trace)
