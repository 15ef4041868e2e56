"""A draft that fails the gate gets one retry on the escalation model."""

import pytest

from bench.fixed_latency_server import FixedLatencyServer
from engines.holds import HoldReason
from engines.services import engine_build_register
from prospects.engine_switch import draft_engine_set
from tests.support.drafting import ingest
from tests.support.factories import GEMMA, make_inbound

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
    # The attempt the gate refused is kept beside the body that replaced it.
    assert draft.escalation["outcome"] == "passed"
    assert (draft.escalation["body"], draft.escalation["gate_failed"]) == (
        "It's $300 for the evening.",
        ["price"],
    )


def test_a_failed_escalation_is_kept_with_its_steps_and_gate_results(two_voices, client):
    two_voices.GPU_ESCALATION_MODEL = "pricey"  # the retry fails the gate as well
    draft = ingest(make_inbound("Hi")).draft
    assert (draft.hold_reason, draft.body) == (HoldReason.GATE_FAILED, "It's $300 for the evening.")
    assert draft.escalation["outcome"] == "gate_failed"
    assert draft.escalation["gate_failed"] == ["price"]
    assert [step["model"] for step in draft.escalation["steps"]] == ["pricey", "pricey"]

    page = client.get("/metrics").content.decode()  # the test client calls from loopback
    assert 'prospector_escalations{outcome="gate_failed"} 1.0' in page


def test_without_an_escalation_model_the_failed_draft_is_held(two_voices):
    two_voices.GPU_ESCALATION_MODEL = ""
    draft = ingest(make_inbound("Hi")).draft
    assert (draft.hold_reason, draft.gate_failed) == (HoldReason.GATE_FAILED, ["price"])
    assert draft.body == "It's $300 for the evening."
