"""The dashboard's held count and the review queue's "Waiting" come from one count of the
held drafts, link each other, and name what the queue leaves out: drafts open by another
coworker, drafts approved and then held at sending, and what the queue's filters or skips
leave out (issue 36, item 4)."""

import pytest

from core.roles import Role
from engines.holds import HoldReason
from prospects.models import Draft
from prospects.review.services import draft_approve, review_claim
from prospects.selectors import HeldCounts, held_counts
from tests.support.drafting import ingest
from tests.support.factories import make_inbound
from tests.support.panel import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(canon, coworker, make_user, django_capture_on_commit_callbacks):
    """Five held drafts: three waiting for review, one open by another coworker, and one
    approved and then held at sending (no bridge is configured)."""
    # Held for review, every one: the opener's key is in review mode.
    drafts = [ingest(make_inbound("Hi", thread=f"t-{n}")).draft for n in range(5)]
    assert {draft.status for draft in drafts} == {Draft.Status.HELD}
    assert review_claim(draft_id=drafts[3].id, user=make_user("colin", Role.COWORKER))
    with django_capture_on_commit_callbacks(execute=True):
        draft_approve(draft_id=drafts[4].id, user=coworker)
    drafts[4].refresh_from_db()
    assert (drafts[4].status, drafts[4].hold_reason) == (Draft.Status.HELD, HoldReason.NO_BRIDGE)
    return drafts


def page(client, url: str) -> str:
    return " ".join(client.get(url).content.decode().split())


def test_every_held_draft_is_counted_once_by_where_it_stands(held, coworker):
    assert held_counts(coworker) == HeldCounts(waiting=3, open_by_others=1, after_review=1)
    assert held_counts(coworker).held == Draft.objects.filter(status="held").count() == 5


def test_the_dashboard_and_the_queue_say_the_same_numbers_and_link_each_other(held, coworker):
    client = logged_in(coworker)
    dashboard = page(client, "/")
    queue = page(client, "/review/")

    said = (
        "5 held in all: 3 in your review queue, 1 open by another coworker, "
        "1 approved and then held at sending"
    )
    assert said in dashboard
    assert said in queue
    assert '<span class="count">3</span> waiting for review' in dashboard
    assert 'id="queue-count">3<' in queue
    assert 'href="/review/"' in dashboard
    assert 'href="/#held-counts"' in queue


def test_the_queue_names_what_its_filter_leaves_out(held, coworker):
    queue = page(logged_in(coworker), "/review/?hold_reason=gate_failed")

    assert 'id="queue-count">0<' in queue
    assert "3 in your review queue (3 filtered out or skipped here)" in queue


def test_someone_who_does_not_review_gets_the_numbers_without_the_queue_link(held, operator):
    dashboard = page(logged_in(operator), "/")

    assert "5 held in all: 3 in the review queue, 1 open by another coworker" in dashboard
    assert 'href="/review/"' not in dashboard.split('id="held-counts"')[1].split("</div>")[0]
