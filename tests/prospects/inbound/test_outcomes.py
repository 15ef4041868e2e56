"""Recording a thread's outcome from the API (the bridge or a CRM) and from the thread
page's buttons (issue 33)."""

import uuid

import pytest
from django.utils.html import strip_tags

from prospects.models import Thread, ThreadOutcome
from prospects.vocabulary import raw_codes
from tests.support.drafting import ingest
from tests.support.factories import make_inbound
from tests.support.outcomes import sent_reply
from tests.support.panel import logged_in

pytestmark = pytest.mark.django_db


class TestApi:
    def test_booked_answers_201_with_its_attribution_then_200_for_the_same(
        self, canon, coworker, client_account, api_for, bridge
    ):
        draft = sent_reply(coworker, thread="crm-1")
        url = f"/api/threads/{draft.thread_id}/outcome/"

        first = api_for(client_account).post(
            url, {"outcome": "booked", "note": "CRM deal 41"}, format="json"
        )
        again = api_for(client_account).post(url, {"outcome": "booked"}, format="json")

        assert first.status_code == 201
        body = first.json()
        assert (body["outcome"], body["source"], body["thread_state"]) == (
            "booked",
            "api",
            "booked",
        )
        assert (body["note"], body["recorded_by"]) == ("CRM deal 41", "bridge-client")
        assert body["attributions"] == [
            {
                "draft": str(draft.id),
                "workflow_version": None,
                "engine_id": "template",
                "experiment_arm": "",
            }
        ]
        assert (again.status_code, again.json()["id"]) == (200, body["id"])
        assert ThreadOutcome.objects.count() == 1

    def test_an_unknown_outcome_is_a_400_naming_the_field(self, canon, coworker, api_for):
        thread = ingest(make_inbound()).decision.thread
        url = f"/api/threads/{thread.id}/outcome/"
        unknown = api_for(coworker).post(url, {"outcome": "ghosted"}, format="json")
        missing = api_for(coworker).post(url, {"note": "?"}, format="json")
        assert (unknown.status_code, list(unknown.json())) == (400, ["outcome"])
        assert (missing.status_code, list(missing.json())) == (400, ["outcome"])
        assert not ThreadOutcome.objects.exists()

    def test_an_unknown_thread_is_a_404(self, coworker, api_for):
        answer = api_for(coworker).post(
            f"/api/threads/{uuid.uuid4()}/outcome/", {"outcome": "booked"}, format="json"
        )
        assert answer.status_code == 404

    def test_an_operator_may_not_record_an_outcome(self, canon, operator, api_for):
        thread = ingest(make_inbound()).decision.thread
        answer = api_for(operator).post(
            f"/api/threads/{thread.id}/outcome/", {"outcome": "booked"}, format="json"
        )
        assert answer.status_code == 403
        assert not ThreadOutcome.objects.exists()


class TestThreadPage:
    def test_a_reviewer_sees_the_four_outcome_buttons(self, canon, coworker):
        thread = ingest(make_inbound()).decision.thread
        page = logged_in(coworker).get(f"/threads/{thread.id}/").content.decode()
        for code, words in [
            ("booked", "Booked"),
            ("declined", "Declined"),
            ("no_reply", "No reply"),
            ("blocked", "Blocked"),
        ]:
            assert f'name="outcome" value="{code}">{words}</button>' in page
        assert "No outcome yet." in page

    def test_an_operator_sees_the_outcome_but_no_buttons(self, canon, operator):
        thread = ingest(make_inbound()).decision.thread
        page = logged_in(operator).get(f"/threads/{thread.id}/").content.decode()
        assert 'name="outcome"' not in page

    def test_a_button_records_the_outcome_and_the_page_says_who_and_when(
        self, canon, coworker, clock
    ):
        thread = ingest(make_inbound(thread="nina.f")).decision.thread
        browser = logged_in(coworker)
        answer = browser.post(
            f"/threads/{thread.id}/outcome/", {"outcome": "declined", "note": "Not this year."}
        )
        assert answer.status_code == 302
        page = browser.get(f"/threads/{thread.id}/").content.decode()
        shown = " ".join(strip_tags(page).split())
        assert "Outcome recorded: Declined. The thread is now Closed." in shown
        assert "Declined · recorded by cora from the thread page on 2026-11-23 09:00" in shown
        assert "Not this year." in shown
        assert raw_codes(shown) == []
        assert Thread.objects.get(id=thread.id).state == "closed"

    def test_a_bad_outcome_comes_back_400_with_the_error_by_the_buttons(self, canon, coworker):
        thread = ingest(make_inbound()).decision.thread
        answer = logged_in(coworker).post(f"/threads/{thread.id}/outcome/", {"outcome": "x"})
        assert answer.status_code == 400
        assert "Choose an outcome." in answer.content.decode()
        assert not ThreadOutcome.objects.exists()
