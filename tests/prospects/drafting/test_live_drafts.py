"""Live traffic through the worker: ingest stores, decides and queues; the worker drafts."""

import json

import pytest
import redis
from django.conf import settings

from bench.fixed_latency_server import FixedLatencyServer
from builder.selectors import canon_text
from config.celery import app as celery_app
from engines.breaker import breaker_reset
from engines.holds import HoldReason
from engines.models import ModelCall
from engines.registry import clients_close
from engines.services import engine_build_register
from prospects.drafting.runner import Outcome, backlog, job_chunk_run, jobs_sweep, live_draft_run
from prospects.engine_switch import draft_engine_set
from prospects.inbound.ingest import inbound_ingest
from prospects.jobs.services import job_create
from prospects.models import Draft, DraftJobItem, Lane
from tests.support.drafting import classifier_live, ingest
from tests.support.factories import GEMMA, make_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_queue(settings):
    """Tasks go to the real Redis broker instead of running inline; the `live` list is
    emptied before and after."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("live")
    celery_app.conf.task_always_eager = False
    yield broker
    celery_app.conf.task_always_eager = True
    broker.delete("live")
    broker.close()


@pytest.fixture
def model_build(published_workflow, admin_user):
    """GEMMA served by a deterministic server on loopback, and the active engine."""
    server = FixedLatencyServer(0.0, answers={"voice": "Lovely! Which evening suits you?"})
    server.start()
    clients_close()
    breaker_reset(server.url)
    published_workflow()
    engine_build_register(engine_id=GEMMA, endpoint_url=server.url, served_model="voice")
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    yield server
    server.stop()
    clients_close()


@pytest.mark.django_db(transaction=True)
def test_ingest_stores_a_queued_draft_and_calls_no_model(model_build, live_queue):
    result = inbound_ingest(inbound=make_inbound("Hi there"))

    assert live_queue.llen("live") == 1  # committed, then enqueued for the worker
    draft = result.draft
    assert draft.status == Draft.Status.QUEUED
    assert (draft.body, draft.hold_reason, draft.engine_id) == ("", "", GEMMA)
    assert draft.job_item.lane == Lane.LIVE
    assert draft.job_item.status == DraftJobItem.Status.QUEUED
    assert ModelCall.objects.count() == 0


def test_the_worker_drafts_the_placeholder_in_place(model_build):
    queued = inbound_ingest(inbound=make_inbound("Hi there")).draft

    drafted = live_draft_run(queued)

    assert drafted.id == queued.id
    assert Draft.objects.count() == 1
    assert drafted.body == "Lovely! Which evening suits you?"
    assert (drafted.status, drafted.hold_reason) == (Draft.Status.HELD, HoldReason.REVIEW_MODE)
    assert drafted.job_item.status == DraftJobItem.Status.DRAFTED
    assert ModelCall.objects.count() == len(drafted.steps) == 2


def test_a_redelivered_live_item_never_drafts_twice(model_build):
    draft = live_draft_run(inbound_ingest(inbound=make_inbound("Hi there")).draft)
    calls = ModelCall.objects.count()

    assert job_chunk_run(item_ids=[draft.job_item_id]) == Outcome.SKIPPED
    assert ModelCall.objects.count() == calls
    assert Draft.objects.count() == 1


def test_the_template_engine_takes_the_same_path(canon):
    queued = inbound_ingest(inbound=make_inbound("Hi there")).draft
    assert queued.status == Draft.Status.QUEUED

    drafted = live_draft_run(queued)

    assert drafted.body == canon_text("opener.welcome")
    assert drafted.hold_reason == HoldReason.REVIEW_MODE


def test_the_sweeper_enqueues_a_queued_draft_that_made_no_progress(
    canon, clock, django_capture_on_commit_callbacks
):
    # Committed, but the enqueue never reached the broker (the test transaction swallows
    # on-commit callbacks, as a crash after the commit would).
    draft = inbound_ingest(inbound=make_inbound("Hi there")).draft
    clock.shift(settings.JOB_SWEEP_AFTER_SECONDS + 1)

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep() == 1

    draft.refresh_from_db()
    assert (draft.status, draft.hold_reason) == (Draft.Status.HELD, HoldReason.REVIEW_MODE)


def test_a_live_draft_that_crashed_every_attempt_is_held(canon):
    draft = inbound_ingest(inbound=make_inbound("Hi there")).draft
    DraftJobItem.objects.filter(id=draft.job_item_id).update(
        attempts=settings.JOB_MAX_ATTEMPTS, last_error="RuntimeError: boom"
    )

    draft = live_draft_run(draft)

    assert (draft.status, draft.hold_reason) == (Draft.Status.HELD, HoldReason.TOO_MANY_ATTEMPTS)
    assert "boom" in draft.hold_detail
    assert Draft.objects.count() == 1


def test_the_backlog_shows_live_and_batch_work_apart(published_workflow, admin_user, operator):
    published_workflow()
    threads = [ingest(make_inbound("Hi")).decision.thread_id for _ in range(3)]
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    inbound_ingest(inbound=make_inbound("Hello"))
    job_create(user=operator, thread_ids=threads, engine_id=GEMMA)

    rows = {row["engine_id"]: row for row in backlog()}

    assert (rows[GEMMA]["live_items"], rows[GEMMA]["batch_items"]) == (1, 3)
    assert rows[GEMMA]["items"] == 4


def test_the_api_answers_201_with_the_queued_draft_and_lists_what_waits(
    canon, api_for, client_account
):
    api = api_for(client_account)
    payload = {
        "external_id": "api-queued-1",
        "thread": "t-queued",
        "sender": "Sam",
        "body": "Hi there",
        "received_at": "2026-11-20T12:00:00Z",
    }

    created = api.post("/api/inbound/", payload, format="json")
    again = api.post("/api/inbound/", payload, format="json")
    waiting = api.get("/api/drafts/", {"status": "queued"})

    assert created.status_code == 201
    assert again.status_code == 200
    assert created.json()["draft"]["status"] == "queued"
    assert [row["id"] for row in waiting.json()["results"]] == [created.json()["draft"]["id"]]


@pytest.mark.parametrize(
    ("head_move", "drafts"),
    [("opener", 1), ("spam", 0)],
)
def test_the_head_decides_again_what_the_rules_left_unanswered(canon, settings, head_move, drafts):
    head = {"is_prospect": head_move == "opener", "move": head_move, "trace": "the head"}
    server = FixedLatencyServer(0.0, answers={"head": json.dumps(head)}).start()
    clients_close()
    build = classifier_live("head", url=server.url, dialect="openai")
    try:
        result = inbound_ingest(inbound=make_inbound("Hi! click here for my pics"))
        assert (result.decision.move, result.decision.template_key, result.draft) == (
            "spam",
            "",
            None,
        )
        item = DraftJobItem.objects.get(decision=result.decision)
        assert item.lane == Lane.LIVE

        job_chunk_run(item_ids=[item.id])
    finally:
        server.stop()
        clients_close()

    item.refresh_from_db()
    result.decision.refresh_from_db()
    assert item.status == DraftJobItem.Status.DRAFTED
    assert (result.decision.classified_by, result.decision.move) == (build, head_move)
    assert Draft.objects.filter(decision=result.decision).count() == drafts
    if drafts:
        draft = Draft.objects.get(decision=result.decision)
        assert draft.job_item == item
        assert draft.body == canon_text("opener.welcome")


def test_without_the_head_a_message_with_no_reply_gets_no_work(canon):
    result = inbound_ingest(inbound=make_inbound("Hi! click here for my pics"))
    assert result.draft is None
    assert not DraftJobItem.objects.filter(decision=result.decision).exists()
