"""GET /api/threads/ and GET /api/decisions/: what a CRM reads, filtered, walked with a
cursor."""

from datetime import timedelta

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from builder.taxonomy import ThreadState
from core.clock import now
from core.pagination import CreatedCursorPagination
from prospects.models import Decision, Thread
from prospects.outcomes import outcome_record
from tests.support.drafting import ingest
from tests.support.factories import make_inbound

pytestmark = pytest.mark.django_db

OPENER = "Hi there, nice to meet you"
SPAM = "Make money with crypto, click here"


@pytest.fixture
def crm(client_account, api_for, canon):
    return api_for(client_account)


@pytest.fixture
def threads(clock, canon):
    """Three threads ten minutes apart: an opener, spam, and a thread of two messages
    (booked since)."""
    made = {}
    made["anna"] = ingest(make_inbound(OPENER, thread="anna", sender="Anna")).decision
    clock.shift(600)
    made["spam"] = ingest(make_inbound(SPAM, thread="spam", sender="Bot")).decision
    clock.shift(600)
    ingest(make_inbound(OPENER, thread="cleo", sender="Cleo"))
    clock.shift(60)
    made["cleo"] = ingest(
        make_inbound(
            "Great, see you then",
            thread="cleo",
            sender="Cleo K",
            received_at=now(),
            external_id="wa-cleo-2",
        )
    ).decision
    Thread.objects.filter(handle="cleo").update(state=ThreadState.BOOKED)
    return made


def _handles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["handle"] for row in response.json()["results"]]


def test_the_thread_list_gives_a_crm_each_threads_figures_newest_first(crm, threads):
    body = crm.get("/api/threads/").json()
    cleo = body["results"][0]
    decision = threads["cleo"]

    assert [row["handle"] for row in body["results"]] == ["cleo", "spam", "anna"]
    assert body["next"] is None
    assert cleo["state"] == "booked"
    assert (cleo["latest_sender"], cleo["latest_external_id"]) == ("Cleo K", "wa-cleo-2")
    assert cleo["message_count"] == 2
    assert cleo["draft_count"] == decision.thread.drafts.count() == 2
    assert cleo["latest_decision"] == str(decision.id)
    assert (cleo["latest_move"], cleo["latest_template_key"]) == (
        decision.move,
        decision.template_key,
    )
    assert cleo["last_inbound_at"] == "2026-11-23T09:21:00Z"
    assert cleo["created_at"] == "2026-11-23T09:20:00Z"
    assert cleo["updated_at"] >= cleo["last_inbound_at"]
    assert cleo["last_reply_sent_at"] is None
    assert cleo["person_only"] is False
    assert (cleo["outcome"], cleo["time_zone"]) == (None, "")


def test_the_decision_list_gives_each_decision_with_its_latest_draft(crm, threads):
    body = crm.get("/api/decisions/").json()
    spam = threads["spam"]
    row = next(row for row in body["results"] if row["id"] == str(spam.id))
    opener = next(row for row in body["results"] if row["id"] == str(threads["anna"].id))
    draft = threads["anna"].drafts.get()

    assert len(body["results"]) == Decision.objects.count() == 4
    assert body["results"][0]["id"] == str(threads["cleo"].id)
    assert row["thread"] == str(spam.thread_id)
    assert row["message"] == str(spam.message_id)
    assert (row["move"], row["template_key"], row["sender"]) == ("spam", "", "Bot")
    assert row["message_external_id"] == spam.message.external_id
    assert row["mode"] == spam.mode
    assert row["gate2"] == {"passed": True, "failed_rules": []}
    assert (row["latest_draft"], row["latest_draft_status"]) == (None, None)
    assert (opener["latest_draft"], opener["latest_draft_status"]) == (str(draft.id), draft.status)


def test_the_gate_verdict_names_the_rules_that_failed(crm, threads):
    Decision.objects.filter(id=threads["anna"].id).update(
        gate2_results=[
            {"rule": "send_rate", "passed": False, "detail": "3 sent today, limit 3"},
            {"rule": "thread_closed", "passed": True, "detail": "thread state 'new'"},
        ]
    )

    rows = crm.get("/api/decisions/", {"thread": threads["anna"].thread_id}).json()["results"]

    assert [row["gate2"] for row in rows] == [{"passed": False, "failed_rules": ["send_rate"]}]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"state": "booked"}, ["cleo"]),
        ({"move": "spam"}, ["spam"]),
        ({"template_key": "opener.welcome"}, ["anna"]),
        ({"created_after": "2026-11-23T09:10:00Z"}, ["cleo", "spam"]),
        ({"created_before": "2026-11-23T09:10:00Z"}, ["anna"]),
        # Any offset: 10:15 at +01:00 is 09:15 UTC.
        ({"created_after": "2026-11-23T10:15:00+01:00"}, ["cleo"]),
        ({"move": "spam", "created_after": "2026-11-23T09:15:00Z"}, []),
    ],
)
def test_each_thread_filter_narrows_the_list(crm, threads, filters, expected):
    assert Decision.objects.get(id=threads["anna"].id).template_key == "opener.welcome"
    assert _handles(crm.get("/api/threads/")) == ["cleo", "spam", "anna"]
    assert _handles(crm.get("/api/threads/", filters)) == expected


def test_the_outcome_filter_lists_threads_by_their_latest_outcome(crm, threads, coworker, clock):
    thread = threads["spam"].thread
    outcome_record(thread=thread, outcome="declined", user=coworker, source="api")
    assert _handles(crm.get("/api/threads/", {"outcome": "declined"})) == ["spam"]
    clock.shift(60)
    outcome_record(thread=thread, outcome="booked", user=coworker, source="api")
    assert _handles(crm.get("/api/threads/", {"outcome": "declined"})) == []
    booked = crm.get("/api/threads/", {"outcome": "booked"}).json()["results"]
    assert [(row["handle"], row["outcome"]) for row in booked] == [("spam", "booked")]
    assert crm.get("/api/threads/", {"outcome": "maybe"}).status_code == 400


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"move": "spam"}, ["spam"]),
        ({"template_key": "opener.welcome"}, ["anna", "cleo"]),
        ({"state": "new"}, ["anna", "spam", "cleo"]),
        ({"created_after": "2026-11-23T09:21:00Z"}, ["cleo"]),
        ({"created_before": "2026-11-23T09:10:00Z"}, ["anna"]),
    ],
)
def test_each_decision_filter_narrows_the_list(crm, threads, filters, expected):
    rows = crm.get("/api/decisions/", filters).json()["results"]
    handles = {str(decision.thread_id): name for name, decision in threads.items()}
    assert len(crm.get("/api/decisions/").json()["results"]) == 4
    assert sorted({handles[row["thread"]] for row in rows}) == sorted(expected)


def test_the_thread_filter_lists_one_threads_decisions(crm, threads):
    cleo = threads["cleo"]
    rows = crm.get("/api/decisions/", {"thread": str(cleo.thread_id)}).json()["results"]

    assert [row["id"] for row in rows] == [
        str(decision.id) for decision in cleo.thread.decisions.order_by("-created_at")
    ]
    assert len(rows) == 2


@pytest.mark.parametrize("url", ["/api/threads/", "/api/decisions/"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("created_after", "yesterday"),
        ("created_before", "2026-13-40T00:00:00Z"),
        # Python accepts the offset, PostgreSQL would not: converted, or refused, never 500.
        ("created_after", "0001-01-01T00:00:00+23:59"),
        ("move", "dance"),
        ("state", "sleeping"),
    ],
)
def test_a_bad_filter_value_answers_400_naming_the_field(crm, threads, url, field, value):
    response = crm.get(url, {field: value})

    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]


def test_a_bad_thread_id_answers_400_naming_the_field(crm, threads):
    response = crm.get("/api/decisions/", {"thread": "not-a-uuid"})

    assert (response.status_code, list(response.json())) == (400, ["thread"])


def _walk(api, url: str, page_size: int, between_pages=lambda: None) -> list[str]:
    seen = []
    response = api.get(url, {"page_size": page_size})
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) <= page_size
        seen += [row["id"] for row in body["results"]]
        if body["next"] is None:
            return seen
        between_pages()
        response = api.get(body["next"])


@pytest.mark.parametrize("url", ["/api/threads/", "/api/decisions/"])
def test_cursor_pages_walk_every_row_once_while_rows_are_added(crm, clock, url):
    for number in range(7):
        ingest(make_inbound(OPENER, thread=f"walk-{number}"))
        clock.shift(30)
    before = [row["id"] for row in crm.get(url, {"page_size": 200}).json()["results"]]

    def add_a_thread():
        ingest(make_inbound(OPENER))
        clock.shift(30)

    seen = _walk(crm, url, 3, between_pages=add_a_thread)

    assert len(before) == 7
    assert seen == before
    assert len(set(seen)) == len(seen)


def test_cursor_pages_walk_rows_made_at_the_same_instant_once(crm, clock):
    for number in range(5):
        ingest(make_inbound(OPENER, thread=f"tie-{number}"))

    seen = _walk(crm, "/api/threads/", 2)

    assert Thread.objects.filter(created_at=now()).count() == 5
    assert sorted(seen) == sorted(str(pk) for pk in Thread.objects.values_list("id", flat=True))
    assert len(set(seen)) == 5


def test_an_earlier_page_is_reached_with_previous(crm, clock):
    for number in range(4):
        ingest(make_inbound(OPENER, thread=f"back-{number}"))
        clock.shift(timedelta(minutes=1).total_seconds())

    first = crm.get("/api/threads/", {"page_size": 2}).json()
    second = crm.get(first["next"]).json()
    back = crm.get(second["previous"]).json()

    assert [row["id"] for row in back["results"]] == [row["id"] for row in first["results"]]


@pytest.mark.parametrize(("asked", "given"), [(None, 50), ("10", 10), ("500", 200)])
def test_page_size_is_50_unless_asked_and_at_most_200(asked, given):
    query = {} if asked is None else {"page_size": asked}
    request = Request(APIRequestFactory().get("/api/threads/", query))

    assert CreatedCursorPagination().get_page_size(request) == given


@pytest.mark.parametrize("asked", ["x", "0", "-3", "2.5", "٣"])
def test_a_page_size_that_is_no_whole_number_from_1_answers_400(crm, asked):
    answer = crm.get("/api/threads/", {"page_size": asked})

    assert answer.status_code == 400
    assert list(answer.json()) == ["page_size"]


def test_a_signed_in_user_without_a_role_is_refused(make_user, api_for):
    api = api_for(make_user("nobody"))

    assert api.get("/api/threads/").status_code == 403
    assert api.get("/api/decisions/").status_code == 403
