"""Past corrections retrieved as few-shot context: picked, capped, logged and sent."""

import pytest

from engines.base import DraftRequest, Exemplar, Step, WorkflowSpec
from engines.chain import step_prompt
from prospects.drafting.retrieval import similar_corrections
from prospects.engine_switch import draft_engine_set
from prospects.models import Correction
from prospects.review.services import draft_correct, draft_reject
from tests.support.drafting import gemma_served, ingest
from tests.support.factories import GEMMA, make_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def corrected(canon, coworker):
    """Reviews a fresh draft for ``message``: an edit when ``reply`` is given, else a
    rejection. Returns the correction."""

    def review(message: str, reply: str | None = None, tags=("tone",)) -> Correction:
        draft = ingest(make_inbound(message)).draft
        if reply is None:
            draft_reject(draft_id=draft.id, user=coworker, reason_tags=list(tags))
        else:
            draft_correct(draft_id=draft.id, user=coworker, body=reply)
        return Correction.objects.get(draft=draft)

    return review


def test_the_most_similar_corrections_come_first_and_kinds_are_kept_apart(corrected, settings):
    settings.RETRIEVAL_ACCEPTED, settings.RETRIEVAL_REJECTED = 2, 1
    near = corrected("Hi there, are you free this weekend?", "Hi! Yes, Saturday works.")
    far = corrected("Hi there", "Hello!")
    corrected("Good morning to you", "Morning!")
    bad = corrected("Are you free this weekend?", None, tags=["unsafe", "tone"])
    corrected("Hi", None)
    # The rules may file these messages under different keys; here they share one.
    Correction.objects.update(template_key="opener.welcome")

    found = similar_corrections(
        template_key="opener.welcome", message="Hi, are you free this weekend?"
    )

    assert [e.ref for e in found if e.accepted] == [str(near.id), str(far.id)]
    assert [e.ref for e in found if not e.accepted] == [str(bad.id)]
    rejected = found[-1]
    assert rejected.reply == bad.original_text
    assert rejected.note == "Unsafe (price, address, prompt leak), Tone or voice"


def test_only_the_same_template_key_is_searched_and_texts_are_capped(corrected, settings):
    settings.RETRIEVAL_MAX_CHARS = 20
    correction = corrected("Hi there", "A reply that is much longer than twenty characters")
    assert similar_corrections(template_key="some.other.key", message="Hi there") == ()
    [exemplar] = similar_corrections(template_key=correction.template_key, message="Hi there")
    assert len(exemplar.reply) == 20
    assert exemplar.reply.endswith("…")


def test_exemplars_go_into_the_prompt_as_replies_to_match_and_to_avoid():
    request = DraftRequest(
        template_key="opener.welcome",
        canon_text="Hello",
        max_chars=300,
        inbound_body="Hi",
        workflow=WorkflowSpec(
            label="w@1",
            context=(),
            steps=(Step(kind="draft", instruction="Write it.", max_chars=300),),
            retrieval=True,
        ),
        exemplars=(
            Exemplar(accepted=True, message="Hey", reply="Hey you!"),
            Exemplar(accepted=False, message="Yo", reply="Send money", note="Unsafe"),
        ),
    )
    user = step_prompt(request, 0, []).messages[1]["content"]
    assert "approved in similar situations" in user
    assert "Reply: Hey you!" in user
    assert "never write these" in user
    assert "Rejected: Send money (Unsafe)" in user


@pytest.fixture
def gemma_live(gpu_path, model_server, published_workflow, admin_user):
    """The local model drafts with a one-step workflow, retrieval on or off."""

    def switch(*, retrieval: bool):
        gemma_served(model_server.url)
        extra = {"retrieval": retrieval}
        published_workflow(
            appliesTo={}, steps=[{"draft": "Write the reply.", "maxChars": 200}], **extra
        )
        draft_engine_set(engine_id=GEMMA, user=admin_user)

    return switch


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_gpu_engine_drafts_with_retrieved_corrections_and_logs_them(corrected, gemma_live):
    example = corrected("Hi, I saw your profile", "Hi! Lovely to hear from you.")
    gemma_live(retrieval=True)

    draft = ingest(make_inbound("Hi, I saw your profile today")).draft

    assert draft.engine_id == GEMMA
    assert draft.retrieved_corrections == [str(example.id)]
    prompt = draft.steps[-1]["messages"][1]["content"]
    assert "Reply: Hi! Lovely to hear from you." in prompt


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_retrieval_off_sends_no_exemplars(corrected, gemma_live):
    corrected("Hi, I saw your profile", "Hi! Lovely to hear from you.")
    gemma_live(retrieval=False)

    draft = ingest(make_inbound("Hi, I saw your profile today")).draft

    assert draft.engine_id == GEMMA
    assert draft.retrieved_corrections == []
    assert "approved in similar situations" not in draft.steps[-1]["messages"][1]["content"]


def test_corrections_from_the_same_workflow_rank_before_more_similar_ones(
    corrected, published_workflow
):
    ours = published_workflow(appliesTo={})
    similar = corrected("Hi there, are you free this weekend?", "Hi! Saturday works.")
    same_workflow = corrected("Good morning", "Morning! Which day suits you?")
    Correction.objects.update(template_key="opener.welcome")
    Correction.objects.filter(id=same_workflow.id).update(workflow_version=ours)
    Correction.objects.filter(id=similar.id).update(workflow_version=None)

    found = similar_corrections(
        template_key="opener.welcome",
        message="Hi there, are you free this weekend?",
        workflow_id=ours.workflow_id,
    )

    assert [exemplar.ref for exemplar in found] == [str(same_workflow.id), str(similar.id)]
