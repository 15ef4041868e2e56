import pytest

from prospects.inbound.ingest import inbound_ingest
from prospects.models import Draft
from prospects.selectors import pipeline_settings
from tests.integration.conftest import wait_for
from tests.support.factories import make_inbound

pytestmark = pytest.mark.integration


def test_a_real_worker_dispatches_an_auto_send_draft_through_redis(canon, bridge, start_worker):
    row = pipeline_settings()
    row.auto_send_keys = ["opener.welcome"]
    row.save()
    start_worker()
    draft = inbound_ingest(inbound=make_inbound("Hello!")).draft

    def sent():
        draft.refresh_from_db()
        return draft.status == Draft.Status.SENT

    wait_for(sent, timeout=30, message="the worker to send the draft")
    assert [payload["draft_id"] for payload in bridge.received] == [str(draft.id)]
