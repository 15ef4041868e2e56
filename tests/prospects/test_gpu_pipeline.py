"""The pipeline on the GPU engine: the real model server, a breaker that opens and closes."""

import time

import pytest

from engines.breaker import breaker_reset, breaker_state, breakers_forget
from engines.holds import HoldReason
from engines.model_tasks import MOVE
from engines.models import ModelCall
from engines.moves import invariant_holds
from engines.services import engine_build_register
from prospects.models import Draft
from prospects.services import draft_engine_set
from scripts.local_model_server import CLASSIFIER, GENERATOR, ModelServer, free_port
from tests.conftest import GEMMA, classifier_live, ingest, make_inbound

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


def test_real_drafts_come_back_through_the_chain(gpu_engine_on, model_server):
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


def test_the_classifier_build_is_asked_on_the_worker_through_the_registry(gpu_path, canon):
    build = classifier_live(CLASSIFIER)
    # A message with a reply to draft: the classifier runs on the worker before the chain.
    decision = ingest(make_inbound("Hi! Are you free tonight?")).decision
    call = ModelCall.objects.get(task=MOVE.name)
    assert (call.engine_id, call.endpoint) == (build, gpu_path.GPU_INFERENCE_URL.rstrip("/"))
    assert invariant_holds(is_prospect=decision.is_prospect, move=decision.move)
    # Gemma 270M may or may not keep to the schema: either its build decided, or the rules
    # did and the decision says why the build gave no answer.
    assert (decision.classified_by, bool(decision.classifier_problem)) in (
        (build, False),
        ("rules", True),
    )
