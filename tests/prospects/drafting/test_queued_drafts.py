"""Queued live drafts: they follow the engine an admin flips to (experiment arms keep
theirs), say why they wait, and are held soon when an always-on endpoint is down
(issue 31, items 9 and 10)."""

import pytest

from builder.selectors import canon_text
from engines.breaker import breaker_down_since, breaker_for, breaker_reset
from engines.holds import HoldReason, WaitReason
from engines.services import engine_build_register
from prospects.builds.gpu import gpu_tick_run
from prospects.drafting.runner import live_draft_run
from prospects.engine_switch import draft_engine_set
from prospects.models import Draft, DraftJobItem
from scripts.local_model_server import free_port
from tests.support.drafting import ingest
from tests.support.factories import DO_BUILD, GEMMA, make_inbound
from tests.support.panel import HTMX, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def gemma_waits(published_workflow, admin_user):
    """GEMMA is the active engine and nothing serves it: live drafts wait, queued."""
    published_workflow(slug="any", appliesTo={})
    draft_engine_set(engine_id=GEMMA, user=admin_user)


@pytest.fixture
def dead_endpoint(published_workflow, admin_user, clock):
    """GEMMA on an endpoint whose breaker opened at the clock's start: nothing answers."""
    url = f"http://127.0.0.1:{free_port()}"
    engine_build_register(engine_id=GEMMA, endpoint_url=url, served_model="voice")
    published_workflow(appliesTo={})
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    breaker_for(url).open()
    yield url
    breaker_reset(url)


def waiting_of(api, draft: Draft) -> dict | None:
    response = api.get(f"/api/drafts/{draft.id}/")
    assert response.status_code == 200
    return response.json()["waiting"]


class TestAFlipMovesQueuedDrafts:
    def test_queued_drafts_follow_the_engine_an_admin_flips_to(
        self, gemma_waits, admin_user, django_capture_on_commit_callbacks
    ):
        queued = ingest(make_inbound("Hi")).draft
        assert (queued.status, queued.engine_id) == (Draft.Status.QUEUED, GEMMA)

        with django_capture_on_commit_callbacks(execute=True):
            draft_engine_set(engine_id="template", user=admin_user)

        queued.refresh_from_db()
        assert (queued.engine_id, queued.status) == ("template", Draft.Status.HELD)
        assert queued.hold_reason == HoldReason.REVIEW_MODE
        assert queued.body == canon_text("opener.welcome")
        assert queued.decision.engine_id == "template"
        assert queued.history.filter(history_change_reason__contains="engine").exists()

    def test_a_thread_on_an_experiment_arm_keeps_the_arms_engine(
        self, experiment, published_workflow, admin_user, django_capture_on_commit_callbacks
    ):
        published_workflow(slug="any", appliesTo={})
        draft_engine_set(engine_id=GEMMA, user=admin_user)
        on_arm_b = [
            draft
            for draft in (ingest(make_inbound("Hi there")).draft for _ in range(12))
            if draft.experiment_arm == "welcome-ab:B"
        ]
        outside = ingest(make_inbound("Are you free Saturday evening?")).draft
        assert on_arm_b
        assert (outside.experiment_arm, outside.status) == ("", Draft.Status.QUEUED)

        with django_capture_on_commit_callbacks(execute=True):
            draft_engine_set(engine_id="template", user=admin_user)

        for draft in on_arm_b:
            draft.refresh_from_db()
            assert (draft.engine_id, draft.status) == (GEMMA, Draft.Status.QUEUED)
            assert draft.job_item.engine_id == GEMMA
        outside.refresh_from_db()
        assert (outside.engine_id, outside.status) == ("template", Draft.Status.HELD)

    def test_the_flip_confirmation_says_how_many_queued_drafts_move(self, gemma_waits, admin_user):
        for _ in range(2):
            ingest(make_inbound("Hi"))

        response = logged_in(admin_user).post(
            "/settings/engine_hx/", {"draft_engine": "template"}, **HTMX
        )

        assert response.status_code == 200
        assert "2 queued drafts will move to <code>template</code>" in response.content.decode()

    def test_an_old_retry_of_a_moved_draft_drafts_it_on_the_new_engine(
        self, gemma_waits, admin_user
    ):
        queued = ingest(make_inbound("Hi")).draft
        # The flip's own enqueue is lost (the test transaction swallows it); the retry
        # the old engine had scheduled runs the item, on the engine it now belongs to.
        draft_engine_set(engine_id="template", user=admin_user)
        drafted = live_draft_run(queued)
        assert (drafted.engine_id, drafted.hold_reason) == ("template", HoldReason.REVIEW_MODE)


class TestAQueuedDraftSaysWhyItWaits:
    def test_an_engine_nothing_serves_is_named_with_each_drafts_place_in_line(
        self, gemma_waits, api_for, admin_user
    ):
        first, second = (ingest(make_inbound("Hi")).draft for _ in range(2))
        api = api_for(admin_user)

        waiting = [waiting_of(api, draft) for draft in (first, second)]

        assert [row["reason"] for row in waiting] == [WaitReason.ENGINE_NOT_READY] * 2
        assert f"No endpoint serves '{GEMMA}'" in waiting[0]["detail"]
        assert [row["position"] for row in waiting] == [1, 2]

    def test_a_drafted_draft_has_no_waiting_reason(self, canon, api_for, admin_user):
        draft = ingest(make_inbound("Hi")).draft
        assert draft.status == Draft.Status.HELD
        assert waiting_of(api_for(admin_user), draft) is None

    def test_an_open_breaker_is_named_with_the_time_it_opened(
        self, dead_endpoint, api_for, admin_user, clock
    ):
        opened = breaker_down_since(dead_endpoint)
        clock.shift(5)
        draft = ingest(make_inbound("Hi")).draft

        waiting = waiting_of(api_for(admin_user), draft)

        assert waiting["reason"] == WaitReason.BREAKER_OPEN
        assert f"open since {opened:%Y-%m-%d %H:%M:%S} UTC" in waiting["detail"]
        assert waiting["since"].startswith(opened.strftime("%Y-%m-%dT%H:%M:%S"))

    def test_a_booting_gpu_is_named(self, do_build, published_workflow, admin_user, api_for):
        published_workflow(appliesTo={})
        draft_engine_set(engine_id=DO_BUILD, user=admin_user)
        draft = ingest(make_inbound("Hi")).draft
        gpu_tick_run()

        waiting = waiting_of(api_for(admin_user), draft)

        assert waiting["reason"] == WaitReason.BOOTING
        assert "provisioning" in waiting["detail"]

    def test_the_thread_page_shows_why_its_draft_waits(self, gemma_waits, admin_user):
        draft = ingest(make_inbound("Hi")).draft

        page = logged_in(admin_user).get(f"/threads/{draft.thread_id}/").content.decode()

        assert f"Waiting: {WaitReason.ENGINE_NOT_READY.label}." in page
        assert "Place in line: 1." in page


class TestAnEndpointThatStaysDownHoldsSooner:
    def test_a_live_draft_is_held_once_the_endpoint_is_down_for_the_hold_time(
        self, dead_endpoint, clock, bridge, settings
    ):
        draft = ingest(make_inbound("Hi")).draft
        assert draft.status == Draft.Status.QUEUED
        # Under the breaker's reset time, so it is still open when the worker looks again
        # (past it, a probe would be let through and fail on its own).
        settings.ENDPOINT_DOWN_HOLD_SECONDS = settings.BREAKER_RESET_SECONDS / 2
        clock.shift(settings.ENDPOINT_DOWN_HOLD_SECONDS + 1)

        draft = live_draft_run(draft)

        assert (draft.status, draft.hold_reason) == (Draft.Status.HELD, HoldReason.BREAKER_OPEN)
        assert "breaker is open since" in draft.hold_detail
        assert draft.job_item.status == DraftJobItem.Status.HELD
        assert bridge.received == []

    def test_a_failed_probe_does_not_restart_the_down_time(self, dead_endpoint, clock, settings):
        opened = breaker_down_since(dead_endpoint)
        clock.shift(settings.BREAKER_RESET_SECONDS + 1)

        def refused():
            raise ConnectionError("nothing listens")

        with pytest.raises(ConnectionError):
            breaker_for(dead_endpoint).call(refused)

        assert breaker_for(dead_endpoint).current_state == "open"
        assert breaker_down_since(dead_endpoint) == opened

    def test_a_booting_gpu_keeps_the_longer_wait(
        self, do_build, published_workflow, admin_user, clock, settings
    ):
        published_workflow(appliesTo={})
        draft_engine_set(engine_id=DO_BUILD, user=admin_user)
        draft = ingest(make_inbound("Hi")).draft
        gpu_tick_run()
        clock.shift(settings.ENDPOINT_DOWN_HOLD_SECONDS + 1)

        assert live_draft_run(draft).status == Draft.Status.QUEUED

        clock.shift(settings.LIVE_DRAFT_MAX_WAIT_SECONDS)
        draft = live_draft_run(draft)
        assert (draft.status, draft.hold_reason) == (
            Draft.Status.HELD,
            HoldReason.ENGINE_UNAVAILABLE,
        )
