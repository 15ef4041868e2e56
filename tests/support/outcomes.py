"""A reply as it leaves: ingested, approved by a coworker and posted to the test bridge
(the ``bridge`` fixture must be running)."""

from prospects.drafting.dispatch import draft_dispatch
from prospects.models import Draft
from prospects.review.services import draft_approve, draft_correct
from tests.support.drafting import ingest
from tests.support.factories import make_inbound


def sent_reply(coworker, body: str = "Hi there", *, text: str = "", **inbound) -> Draft:
    """``text``: the coworker's edit of the reply before it goes (else approved as is)."""
    draft = ingest(make_inbound(body, **inbound)).draft
    if text:
        draft_correct(draft_id=draft.id, user=coworker, body=text)
    else:
        draft_approve(draft_id=draft.id, user=coworker)
    sent = draft_dispatch(draft_id=draft.id)
    assert sent.status == Draft.Status.SENT, sent.hold_detail
    return sent
