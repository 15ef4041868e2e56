import pytest

from prospects.drafting.dispatch import draft_dispatch
from prospects.models import Draft
from tests.support.concurrency import run_concurrently
from tests.support.drafting import ingest
from tests.support.factories import make_inbound


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_send_an_approved_draft_once(canon, bridge):
    draft = ingest(make_inbound("Hello")).draft
    # Approved but not yet dispatched: the state a redelivered task or a second worker sees.
    Draft.objects.filter(id=draft.id).update(status=Draft.Status.APPROVED, hold_reason="")

    _, errors = run_concurrently(lambda: draft_dispatch(draft_id=draft.id), 5)
    assert errors == []
    assert len(bridge.received) == 1
    draft.refresh_from_db()
    assert draft.status == Draft.Status.SENT


@pytest.mark.django_db
def test_dispatch_of_a_held_draft_sends_nothing(canon, bridge):
    draft = ingest(make_inbound("Hello")).draft
    assert draft_dispatch(draft_id=draft.id).status == Draft.Status.HELD
    assert bridge.received == []
