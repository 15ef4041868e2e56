"""The thread page: each decision and draft of the thread in the words of the review pane."""

import pytest
from django.utils.html import strip_tags

from engines.holds import HoldReason
from engines.moves import move_meaning
from prospects.deciding.decision_gate import Gate2Rule
from prospects.models import Draft
from prospects.vocabulary import raw_codes
from tests.support.drafting import ingest
from tests.support.factories import make_inbound
from tests.support.panel import logged_in

pytestmark = pytest.mark.django_db


def test_the_thread_page_says_each_decision_and_draft_in_words(canon, coworker):
    draft = ingest(make_inbound("Hi, are you free Friday?", thread="nina.f")).draft
    page = logged_in(coworker).get(f"/threads/{draft.thread_id}/").content.decode()
    shown = " ".join(strip_tags(page).split())
    assert "Pursue · a prospect · reply: Pursue: next step · Hold for review" in shown
    assert f"{move_meaning('pursue').capitalize()}." in shown
    assert f"{Gate2Rule.HUMAN_ONLY_MOVE.label}: no (Pursue)" in shown
    assert f"{Draft.Status.HELD.label} {HoldReason.REVIEW_MODE.label}" in shown
    assert raw_codes(shown) == []
