import threading

import pytest
from django.db import connection

from prospects.dispatch import draft_dispatch
from prospects.models import Draft
from prospects.pipeline import inbound_ingest
from tests.conftest import make_inbound


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_send_an_approved_draft_once(canon, bridge):
    draft = inbound_ingest(inbound=make_inbound("Hello")).draft
    # Approved but not yet dispatched: the state a redelivered task or a second worker sees.
    Draft.objects.filter(id=draft.id).update(status=Draft.Status.APPROVED, hold_reason="")

    def dispatch():
        draft_dispatch(draft_id=draft.id)
        connection.close()

    workers = [threading.Thread(target=dispatch) for _ in range(5)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(bridge.received) == 1
    draft.refresh_from_db()
    assert draft.status == Draft.Status.SENT


@pytest.mark.django_db
def test_dispatch_of_a_held_draft_sends_nothing(canon, bridge):
    draft = inbound_ingest(inbound=make_inbound("Hello")).draft
    assert draft_dispatch(draft_id=draft.id).status == Draft.Status.HELD
    assert bridge.received == []
