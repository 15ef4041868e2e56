"""The draft-engine switch says, before it flips, whether the engine can draft, why not in
words, and how many queued drafts would wait; an engine that cannot draft as the install is
set up needs "switch anyway" (issue 36, item 3)."""

import pytest

from engines.gpu.services import gpu_policy_update
from engines.holds import WaitReason
from engines.selectors import engine_wait
from engines.services import engine_build_register
from prospects.engine_switch import draft_engine_outlook
from prospects.inbound.ingest import inbound_ingest
from prospects.selectors import pipeline_settings
from tests.support.factories import DO_BUILD, GEMMA, make_inbound
from tests.support.html import field_error
from tests.support.panel import HTMX, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(canon):
    """Three live drafts queued for the template engine, the worker not come yet."""
    return [inbound_ingest(inbound=make_inbound("Hi", thread=f"t-{n}")).draft for n in range(3)]


@pytest.fixture
def no_gpu_account(settings):
    settings.DO_TOKEN = ""
    return engine_build_register(engine_id=DO_BUILD, served_model="fixed", model_path="/mnt/w")


@pytest.fixture
def gpu_account(settings):
    settings.DO_TOKEN = "a-token"
    gpu_policy_update(user=None, hourly_prices={"gpu-h100x1-80gb": 3.39})
    return engine_build_register(engine_id=DO_BUILD, served_model="fixed", model_path="/mnt/w")


def ask(client, engine_id: str, **more):
    return client.post("/settings/engine_hx/", {"draft_engine": engine_id, **more}, **HTMX)


class TestTheOutlook:
    def test_a_gpu_build_without_the_gpu_account_can_never_draft(self, queued, no_gpu_account):
        outlook = draft_engine_outlook(DO_BUILD)

        assert (outlook.now, outlook.can_never_run) == (False, True)
        assert outlook.why == (
            "The GPU account is not connected, so this build cannot start a machine."
        )
        assert (outlook.moving, outlook.waiting) == (3, 3)

    def test_a_gpu_build_with_the_account_starts_a_machine_for_the_waiting_drafts(
        self, queued, gpu_account
    ):
        outlook = draft_engine_outlook(DO_BUILD)

        assert (outlook.now, outlook.can_never_run) == (False, False)
        assert outlook.why.startswith("No GPU machine is up for this build: one starts")

    def test_a_gpu_build_without_a_price_waits_for_the_gpu_page(self, queued, settings):
        settings.DO_TOKEN = "a-token"
        gpu_policy_update(user=None, hourly_prices={})
        engine_build_register(engine_id=DO_BUILD, served_model="fixed", model_path="/mnt/w")

        outlook = draft_engine_outlook(DO_BUILD)

        assert (outlook.now, outlook.can_never_run) == (False, False)
        assert "the GPU page says why" in outlook.why

    def test_an_endpoint_build_with_no_address_can_never_draft(self, queued, gemma_build):
        outlook = draft_engine_outlook(GEMMA)

        assert outlook.can_never_run
        assert outlook.why == "No model server address is set for this build, so it cannot draft."

    def test_the_template_engine_drafts_now_and_counts_the_drafts_already_on_it(self, queued):
        outlook = draft_engine_outlook("template")

        assert (outlook.now, outlook.can_never_run, outlook.why) == (
            True,
            False,
            "It can draft now.",
        )
        assert (outlook.moving, outlook.waiting) == (0, 3)

    def test_the_worker_reads_the_same_reason_for_a_gpu_build_without_the_account(
        self, no_gpu_account
    ):
        wait = engine_wait(DO_BUILD)

        assert wait.reason == WaitReason.ENGINE_NOT_READY
        assert "The GPU account is not connected" in wait.detail


class TestTheConfirmation:
    def test_it_says_in_words_why_the_build_cannot_draft_and_how_many_drafts_would_wait(
        self, queued, no_gpu_account, admin_user
    ):
        page = ask(logged_in(admin_user), DO_BUILD).content.decode()

        assert (
            "The GPU account is not connected, so this build cannot start a machine. "
            "3 queued drafts would wait"
        ) in " ".join(page.split())
        assert "Switch anyway" in page
        assert "Confirm switch" not in page
        assert "DO_TOKEN" not in page

    def test_confirming_without_switch_anyway_is_refused_by_the_tick_box(
        self, queued, no_gpu_account, admin_user
    ):
        response = ask(logged_in(admin_user), DO_BUILD, confirm="yes")

        assert response.status_code == 400
        page = response.content.decode()
        assert "tick to switch anyway" in field_error(page, "id_anyway")
        assert 'class="card confirm"' in page
        assert pipeline_settings().draft_engine == "template"

    def test_switch_anyway_flips_it(self, queued, no_gpu_account, admin_user):
        response = ask(logged_in(admin_user), DO_BUILD, confirm="yes", anyway="on")

        assert response.headers["HX-Refresh"] == "true"
        assert pipeline_settings().draft_engine == DO_BUILD

    def test_a_build_that_will_start_is_confirmed_once(self, queued, gpu_account, admin_user):
        client = logged_in(admin_user)
        page = " ".join(ask(client, DO_BUILD).content.decode().split())

        assert "It cannot draft yet." in page
        assert "3 queued drafts would wait." in page
        assert "Switch anyway" not in page
        assert ask(client, DO_BUILD, confirm="yes").headers["HX-Refresh"] == "true"
        assert pipeline_settings().draft_engine == DO_BUILD

    def test_a_switch_to_an_engine_that_drafts_now_says_so(self, queued, gemma_build, admin_user):
        client = logged_in(admin_user)
        ask(client, GEMMA, confirm="yes", anyway="on")

        page = ask(client, "template").content.decode()

        assert "It can draft now." in page
        assert "3 queued drafts will move to" in page
        assert "would wait" not in page


class TestTheGpuPage:
    def test_it_speaks_of_the_gpu_account_not_a_setting(self, no_gpu_account, coworker):
        page = logged_in(coworker).get("/gpu/").content.decode()

        assert "The GPU account is not connected." in page
        assert "DO_TOKEN is not set" not in page

    def test_it_says_when_the_gpu_account_is_connected(self, gpu_account, coworker):
        page = logged_in(coworker).get("/gpu/").content.decode()

        assert "The GPU account is connected" in page
        assert "not connected" not in page
