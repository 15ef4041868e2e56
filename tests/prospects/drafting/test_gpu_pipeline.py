"""The pipeline on the GPU engine: the classifier build on the deterministic server, and
smoke tests on the real model server with a breaker that opens and closes."""

import json
import time

import pytest

from bench.fixed_latency_server import FixedLatencyServer
from engines.breaker import breaker_reset, breaker_state, breakers_forget
from engines.holds import HoldReason
from engines.model_tasks import MOVE
from engines.models import ModelCall
from engines.moves import invariant_holds
from engines.registry import clients_close
from engines.services import engine_build_register
from prospects.engine_switch import draft_engine_set
from prospects.models import Draft
from scripts.local_model_server import CLASSIFIER, GENERATOR, ModelServer, free_port
from tests.support.drafting import classifier_live, ingest
from tests.support.factories import GEMMA, make_inbound

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

MODEL_HOLDS = {HoldReason.REVIEW_MODE, HoldReason.GATE_FAILED, HoldReason.MALFORMED_OUTPUT}


@pytest.fixture
def gpu_engine_on(gpu_path, published_workflow, admin_user):
    def switch(url: str):
        engine_build_register(
            engine_id=GEMMA, endpoint_url=url, served_model=GENERATOR, json_dialect="llama_cpp"
        )
        live = published_workflow(
            appliesTo={},
            steps=[{"think": "What do they want?"}, {"draft": "Write the reply.", "maxChars": 200}],
        )
        draft_engine_set(engine_id=GEMMA, user=admin_user)
        return live

    return switch


def test_smoke_real_drafts_come_back_through_the_chain(gpu_engine_on, model_server):
    """Gemma 270M's reply may pass the gate or not: any model hold is an answer."""
    live = gpu_engine_on(model_server.url)
    result = ingest(make_inbound("Hi, I saw your profile"))
    draft = result.draft
    assert (draft.engine_id, draft.workflow_version) == (GEMMA, live)
    assert draft.steps[0]["kind"] == "think"
    assert draft.steps[0]["messages"][0]["role"] == "system"
    assert draft.tokens_in > 0
    assert draft.status == Draft.Status.HELD
    assert draft.hold_reason in MODEL_HOLDS


def test_a_dead_server_opens_the_breaker_and_a_restart_closes_it(gpu_engine_on, settings):
    server = ModelServer(port=free_port()).start()
    # Long enough that the breaker is still open for the fourth draft, short for the test.
    settings.BREAKER_RESET_SECONDS = 4.0
    breakers_forget()
    breaker_reset(server.url)
    try:
        gpu_engine_on(server.url)
        server.stop()
        # Each draft's retried call is one failure; the third opens the breaker, and while it
        # is open live drafts wait, queued, for the engine.
        drafts = [ingest(make_inbound("Hi")).draft for _ in range(4)]
        assert [draft.hold_reason for draft in drafts[:3]] == [HoldReason.ENGINE_ERROR] * 3
        assert drafts[3].status == Draft.Status.QUEUED
        assert breaker_state(server.url) == "open"

        server.start()
        time.sleep(settings.BREAKER_RESET_SECONDS + 0.2)
        draft = ingest(make_inbound("Hi again")).draft
        assert draft.hold_reason in MODEL_HOLDS
        assert draft.steps
        assert breaker_state(server.url) == "closed"
    finally:
        server.stop()


HEAD = {"is_prospect": True, "move": "subhour", "trace": "Asks for half an hour."}


@pytest.fixture
def fixed_gpu(settings):
    """The GPU inference URL answered by the deterministic server: the classifier's served
    model gives HEAD, so what the build decided is known."""
    server = FixedLatencyServer(0.0, answers={CLASSIFIER: json.dumps(HEAD)}).start()
    settings.GPU_INFERENCE_URL = server.url
    settings.GPU_LLM_MODEL = GENERATOR
    breakers_forget()
    clients_close()
    yield settings
    server.stop()
    breakers_forget()
    clients_close()


def test_the_classifier_build_is_asked_on_the_worker_through_the_registry(fixed_gpu, canon):
    build = classifier_live(CLASSIFIER)
    # A message with a reply to draft: the classifier runs on the worker before the chain.
    decision = ingest(make_inbound("Hi! Are you free tonight?")).decision
    call = ModelCall.objects.get(task=MOVE.name)
    assert (call.engine_id, call.endpoint) == (build, fixed_gpu.GPU_INFERENCE_URL.rstrip("/"))
    assert (decision.classified_by, decision.move, decision.trace) == (
        build,
        HEAD["move"],
        HEAD["trace"],
    )
    assert decision.classifier_problem == ""


def test_smoke_the_classifier_build_on_the_real_model_server(gpu_path, canon):
    """Gemma 270M may or may not keep to the schema, so this checks only what holds
    either way: the build was asked, and the decision keeps the move invariant."""
    build = classifier_live(CLASSIFIER)
    decision = ingest(make_inbound("Hi! Are you free tonight?")).decision
    call = ModelCall.objects.get(task=MOVE.name)
    assert (call.engine_id, call.endpoint) == (build, gpu_path.GPU_INFERENCE_URL.rstrip("/"))
    assert invariant_holds(is_prospect=decision.is_prospect, move=decision.move)
