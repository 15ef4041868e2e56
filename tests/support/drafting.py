"""Driving the pipeline from a test as the product does: ingest and draft at once, put a
queued model draft in review as its engine would, review an experiment to a winner, serve
GEMMA or a classifier from a local model server."""

from dataclasses import replace

from prospects.inbound.ingest import Inbound, IngestResult
from tests.support.factories import GEMMA, MOVES_BUILD, make_inbound


def ingest(inbound: Inbound) -> IngestResult:
    """Ingests a message and drafts it right away, as the worker does after the commit
    (the engine not ready: it stays queued). Tests of the queue itself call
    ``inbound_ingest``."""
    from prospects.drafting.runner import live_draft_run
    from prospects.inbound.ingest import inbound_ingest

    result = inbound_ingest(inbound=inbound)
    if result.draft is None:
        return result
    draft = live_draft_run(result.draft)
    return replace(result, draft=draft, decision=draft.decision)


def as_drafted(draft):
    """A draft as its engine would have made it: a queued one (its model build has no
    endpoint in these tests) is put in review with a reply."""
    from prospects.models import Draft

    if draft.status == Draft.Status.QUEUED:
        Draft.objects.filter(id=draft.id).update(
            status=Draft.Status.HELD,
            hold_reason="review_mode",
            drafted_hold_reason="",
            body="Lovely to hear from you! When suits you?",
        )
        draft.refresh_from_db()
    return draft


def review_with_winner(reviewer, drafts: int = 24) -> None:
    """Welcome drafts reviewed so that arm B wins: B's approved as drafted, A's corrected.

    B's model build has no endpoint in these tests, so its drafts are put back in review
    as a drafted reply would be.
    """
    from prospects.inbound.ingest import inbound_ingest
    from prospects.review.services import draft_approve, draft_correct

    for _ in range(drafts):
        draft = as_drafted(inbound_ingest(inbound=make_inbound("Hi there")).draft)
        if draft.experiment_arm.endswith(":B"):
            draft_approve(draft_id=draft.id, user=reviewer)
        else:
            draft_correct(draft_id=draft.id, user=reviewer, body="Another reply altogether.")


def gemma_served(url: str):
    """The GEMMA build, drafting through the local llama.cpp server at ``url``."""
    from engines.services import engine_build_register
    from scripts.local_model_server import GENERATOR

    return engine_build_register(
        engine_id=GEMMA, endpoint_url=url, served_model=GENERATOR, json_dialect="llama_cpp"
    )


def classifier_live(served_model: str, *, url: str = "", dialect: str = "llama_cpp") -> str:
    """Registers an endpoint classifier build serving ``served_model`` and makes it the
    live classifier; its engine id."""
    from engines.services import engine_build_register
    from prospects.engine_switch import classifier_engine_set

    engine_build_register(
        engine_id=MOVES_BUILD,
        endpoint_url=url,
        served_model=served_model,
        json_dialect=dialect,
        head="classifier",
    )
    classifier_engine_set(engine_id=MOVES_BUILD, user=None)
    return MOVES_BUILD
