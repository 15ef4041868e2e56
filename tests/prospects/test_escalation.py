"""A draft that fails the gate gets one retry on the escalation model."""

import pytest

from bench.fixed_latency_server import FixedLatencyServer
from engines.holds import HoldReason
from engines.services import engine_build_register
from prospects.services import draft_engine_set
from tests.conftest import GEMMA, ingest, make_inbound

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_voices(settings, published_workflow, admin_user):
    from engines.breaker import breakers_forget
    from engines.registry import clients_close

    server = FixedLatencyServer(
        0.0, answers={"pricey": "It's $300 for the evening.", "careful": "See you Friday!"}
    ).start()
    engine_build_register(engine_id=GEMMA, endpoint_url=server.url, served_model="pricey")
    published_workflow(appliesTo={})
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    settings.GPU_CLASSIFIER_MODEL = ""
    breakers_forget()
    clients_close()
    yield settings
    clients_close()
    server.stop()


def test_a_gate_failure_is_retried_once_on_the_escalation_model(two_voices):
    two_voices.GPU_ESCALATION_MODEL = "careful"
    draft = ingest(make_inbound("Hi")).draft
    assert draft.body == "See you Friday!"
    assert draft.hold_reason == HoldReason.REVIEW_MODE
    assert [step["model"] for step in draft.steps] == ["pricey", "careful"]


def test_without_an_escalation_model_the_failed_draft_is_held(two_voices):
    two_voices.GPU_ESCALATION_MODEL = ""
    draft = ingest(make_inbound("Hi")).draft
    assert (draft.hold_reason, draft.gate_failed) == (HoldReason.GATE_FAILED, ["price"])
    assert draft.body == "It's $300 for the evening."
