"""A draft that fails the gate gets one try on the escalation build, another engine build
with its own server, which is credited with the draft it writes."""

import pytest
from django.core.exceptions import ValidationError

from bench.fixed_latency_server import FixedLatencyServer
from engines.holds import HoldReason
from engines.services import engine_build_register
from prospects.engine_switch import draft_engine_set
from prospects.models import Correction
from prospects.pipeline_settings import pipeline_settings_update
from prospects.review.services import draft_correct
from prospects.scores import scores_for
from prospects.selectors import pipeline_settings
from tests.support.drafting import ingest
from tests.support.factories import DO_BUILD, GEMMA, MOVES_BUILD, make_inbound
from tests.support.fault_proxy import FaultProxy

CAREFUL = "endpoint-careful-12b_2026-12-01.1"
PRICEY = "It's $300 for the evening."
CAREFUL_REPLY = "See you Friday!"


def escalate_to(engine_id: str) -> None:
    pipeline_settings_update(
        changes={"escalation_engine": engine_id}, reason="Testing escalation.", user=None
    )


@pytest.fixture
def two_builds(published_workflow, admin_user):
    """GEMMA drafts on one server and names a price (the gate refuses it); CAREFUL is
    served by a second server, which answers carefully. Yields CAREFUL's server."""
    from engines.breaker import breakers_forget
    from engines.registry import clients_close

    first = FixedLatencyServer(0.0, answers={"pricey": PRICEY}).start()
    second = FixedLatencyServer(0.0, answers={"careful": CAREFUL_REPLY}).start()
    engine_build_register(engine_id=GEMMA, endpoint_url=first.url, served_model="pricey")
    engine_build_register(engine_id=CAREFUL, endpoint_url=second.url, served_model="careful")
    published_workflow(appliesTo={})
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    breakers_forget()
    clients_close()
    yield second
    clients_close()
    first.stop()
    second.stop()


@pytest.mark.django_db(transaction=True)
class TestEscalatedDraft:
    def test_is_credited_to_the_escalation_build_and_keeps_the_first_attempt(
        self, two_builds, coworker
    ):
        escalate_to(CAREFUL)
        draft = ingest(make_inbound("Hi")).draft

        assert (draft.body, draft.engine_id) == (CAREFUL_REPLY, CAREFUL)
        assert draft.hold_reason == HoldReason.REVIEW_MODE
        # Every step of the body is the escalation build's: it ran the whole workflow.
        assert {step["model"] for step in draft.steps} == {"careful"}
        assert draft.escalation["outcome"] == "passed"
        kept = draft.escalation
        assert (kept["engine_id"], kept["body"], kept["gate_failed"]) == (GEMMA, PRICEY, ["price"])
        assert {step["model"] for step in kept["steps"]} == {"pricey"}

        draft_correct(draft_id=draft.id, user=coworker, body="See you Friday at eight!")
        assert Correction.objects.get(draft=draft).engine_id == CAREFUL
        assert scores_for("engine_id", CAREFUL).drafts == 1
        assert scores_for("engine_id", GEMMA).drafts == 0

    def test_that_the_gate_refuses_too_is_kept_and_the_first_draft_held(self, two_builds, client):
        engine_build_register(engine_id=CAREFUL, endpoint_url=two_builds.url, served_model="pricey")
        two_builds.answers["pricey"] = "Only $250 for you."
        escalate_to(CAREFUL)
        draft = ingest(make_inbound("Hi")).draft

        assert (draft.hold_reason, draft.body, draft.engine_id) == (
            HoldReason.GATE_FAILED,
            PRICEY,
            GEMMA,
        )
        assert draft.escalation["outcome"] == "gate_failed"
        assert (draft.escalation["engine_id"], draft.escalation["body"]) == (
            CAREFUL,
            "Only $250 for you.",
        )
        assert draft.escalation["gate_failed"] == ["price"]

        page = client.get("/metrics").content.decode()  # the test client calls from loopback
        assert 'prospector_escalations{outcome="gate_failed"} 1.0' in page

    def test_without_an_escalation_build_the_failed_draft_is_held(self, two_builds):
        draft = ingest(make_inbound("Hi")).draft
        assert (draft.hold_reason, draft.gate_failed) == (HoldReason.GATE_FAILED, ["price"])
        assert (draft.body, draft.engine_id, draft.escalation) == (PRICEY, GEMMA, {})


@pytest.mark.django_db(transaction=True)
class TestFailingEscalationBuild:
    def test_a_server_error_holds_the_draft_with_the_engine_reason(self, two_builds):
        proxy = FaultProxy(two_builds.url).start()
        proxy.mode = "error"
        try:
            engine_build_register(engine_id=CAREFUL, endpoint_url=proxy.url, served_model="careful")
            escalate_to(CAREFUL)
            draft = ingest(make_inbound("Hi")).draft
        finally:
            proxy.stop()

        assert draft.hold_reason == HoldReason.ENGINE_ERROR
        assert draft.hold_detail.startswith(f"The escalation build {CAREFUL} gave no draft:")
        assert f"the draft of {GEMMA} failed rules: price" in draft.hold_detail
        # The refused body stays for the reviewer, credited to the build that wrote it.
        assert (draft.body, draft.engine_id, draft.gate_failed) == (PRICEY, GEMMA, ["price"])
        assert draft.escalation["outcome"] == "error"
        assert (draft.escalation["engine_id"], draft.escalation["reason"]) == (
            CAREFUL,
            HoldReason.ENGINE_ERROR,
        )

    def test_a_build_no_machine_serves_holds_the_draft_unavailable(self, two_builds):
        engine_build_register(engine_id=DO_BUILD)
        escalate_to(DO_BUILD)
        draft = ingest(make_inbound("Hi")).draft

        assert draft.hold_reason == HoldReason.ENGINE_UNAVAILABLE
        assert f"No endpoint serves '{DO_BUILD}'" in draft.hold_detail
        assert draft.escalation["outcome"] == "error"


@pytest.mark.django_db
class TestEscalationSetting:
    def refused(self, engine_id: str) -> list[str]:
        with pytest.raises(ValidationError) as refused:
            escalate_to(engine_id)
        assert pipeline_settings().escalation_engine == ""
        return refused.value.message_dict["escalation_engine"]

    def test_an_unknown_build_is_refused_on_the_field(self):
        assert self.refused(CAREFUL) == [f"'{CAREFUL}' is not in the engine-build registry."]

    def test_the_draft_engine_itself_is_refused_on_the_field(self, admin_user):
        engine_build_register(engine_id=GEMMA)
        draft_engine_set(engine_id=GEMMA, user=admin_user)
        assert self.refused(GEMMA) == [
            f"'{GEMMA}' is the draft engine: a build cannot escalate to itself."
        ]

    @pytest.mark.parametrize(
        ("engine_id", "says"),
        [
            ("careful", "is not an engine id"),
            ("template", "runs no model"),
            (MOVES_BUILD, "is a classifier build"),
        ],
    )
    def test_what_cannot_draft_is_refused_on_the_field(self, engine_id, says):
        engine_build_register(engine_id=MOVES_BUILD, head="classifier")
        assert says in self.refused(engine_id)[0]

    def test_the_api_refuses_an_unknown_build_with_a_400_on_the_field(self, admin_user, api_for):
        response = api_for(admin_user).put(
            "/api/settings/pipeline/",
            {"escalation_engine": CAREFUL, "reason": "Escalate."},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["escalation_engine"] == [
            f"'{CAREFUL}' is not in the engine-build registry."
        ]

    def test_the_api_sets_a_registered_build_and_empty_turns_it_off(self, admin_user, api_for):
        engine_build_register(engine_id=CAREFUL)
        api = api_for(admin_user)
        response = api.put(
            "/api/settings/pipeline/",
            {"escalation_engine": CAREFUL, "reason": "Escalate."},
            format="json",
        )
        assert (response.status_code, response.json()["escalation_engine"]) == (200, CAREFUL)
        response = api.put(
            "/api/settings/pipeline/", {"escalation_engine": "", "reason": "Off."}, format="json"
        )
        assert pipeline_settings().escalation_engine == ""
        assert response.json()["changed"] == [
            "Drafts the validation gate refuses will get no second try."
        ]
