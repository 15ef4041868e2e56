"""The GPU draft engine running workflow chains: exact behaviour on the deterministic
server, and a smoke test on the real model server."""

import pytest

from bench.fixed_latency_server import FixedLatencyServer, Reply
from engines.base import DraftResult, EngineError
from engines.breaker import breaker_reset
from engines.chain import data_block
from engines.dialect import Dialect
from engines.inference import InferenceClient
from engines.model_engine import ModelEngine, draft_batch
from engines.models import ModelCall
from scripts.local_model_server import GENERATOR
from tests.support.factories import GEMMA
from tests.support.requests import SPEC, request

pytestmark = pytest.mark.django_db(transaction=True)

NOTE = "They want a weekend evening."
REPLY = "Lovely! Saturday evening suits me."


def scripted(draft_reply: Reply):
    """The think step (its prompt ends with its instruction) answers NOTE; the draft step
    answers ``draft_reply`` only when NOTE is in its prompt, so a chain that dropped the
    note gets a different body."""

    def answer(messages: list[dict]) -> Reply:
        prompt = messages[-1]["content"]
        if prompt.endswith(SPEC.steps[0].instruction):
            return Reply(NOTE)
        return draft_reply if f"> {NOTE}" in prompt else Reply("No notes reached me.")

    return answer


def engine_on(server: FixedLatencyServer, client: InferenceClient) -> ModelEngine:
    breaker_reset(server.url)
    return ModelEngine(engine_id=GEMMA, client=client, model="voice")


@pytest.fixture
def fixed_server():
    def start(draft_reply: Reply) -> FixedLatencyServer:
        server = FixedLatencyServer(0.0, answers={"voice": scripted(draft_reply)}).start()
        servers.append(server)
        return server

    servers = []
    yield start
    for server in servers:
        server.stop()


def test_the_chain_feeds_each_think_output_into_the_next_step(fixed_server):
    server = fixed_server(Reply(REPLY))
    asked = request()
    with InferenceClient(server.url, dialect=Dialect.OPENAI) as client:
        result = draft_batch(engine_on(server, client), [asked], concurrency=1)[0]
    assert isinstance(result, DraftResult), result
    think, draft = result.steps
    assert (think["kind"], think["output"]) == ("think", NOTE)
    assert data_block(asked.boundary, NOTE) in draft["messages"][-1]["content"]
    assert NOTE not in think["messages"][-1]["content"]
    assert (draft["kind"], result.body) == ("draft", REPLY)
    assert result.tokens_in == think["tokens_in"] + draft["tokens_in"] > 0
    calls = ModelCall.objects.order_by("started_at").values_list("task", "outcome")
    assert list(calls) == [("prospect.draft", "ok")] * 2


def test_a_draft_cut_off_at_max_tokens_is_malformed_output_and_keeps_its_prompt(fixed_server):
    server = fixed_server(Reply("Lovely! Saturday eve", finish_reason="length"))
    asked = request()
    with InferenceClient(server.url, dialect=Dialect.OPENAI) as client:
        outcome = draft_batch(engine_on(server, client), [asked], concurrency=1)[0]
    assert isinstance(outcome, EngineError), outcome
    assert outcome.reason == "malformed_output"
    think, draft = outcome.steps
    assert think["output"] == NOTE
    # The reviewer still sees what the cut-off step was asked, the note included.
    assert data_block(asked.boundary, NOTE) in draft["messages"][-1]["content"]
    assert (draft["output"], draft["finish_reason"]) == ("", "error")
    outcomes = ModelCall.objects.order_by("started_at").values_list("outcome", flat=True)
    assert list(outcomes) == ["ok", "truncated"]


@pytest.mark.integration
def test_smoke_the_chain_runs_on_the_real_model_server(gpu_path, model_server):
    """Gemma 270M may run past max_tokens, so this checks only what holds either way."""
    asked = request()
    with InferenceClient(model_server.url, dialect=Dialect.LLAMA_CPP, seed=7) as client:
        engine = ModelEngine(engine_id=GEMMA, client=client, model=GENERATOR)
        outcome = draft_batch(engine, [asked], concurrency=1)[0]
    think, draft = outcome.steps
    assert (think["kind"], draft["kind"]) == ("think", "draft")
    assert data_block(asked.boundary, think["output"]) in draft["messages"][-1]["content"]
    assert ModelCall.objects.filter(task="prospect.draft", model=GENERATOR).count() == 2
