"""The GPU draft engine running workflow chains on the real model server."""

import pytest

from engines.base import DraftRequest, EngineError, Step, Turn, WorkflowSpec
from engines.chain import data_block
from engines.dialect import Dialect
from engines.inference import InferenceClient
from engines.model_engine import ModelEngine, draft_batch
from engines.models import ModelCall
from scripts.local_model_server import GENERATOR
from tests.conftest import GEMMA

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SPEC = WorkflowSpec(
    label="welcome@1",
    context=(("Voice rule: warm", "Warm and brief."),),
    steps=(Step("think", "What do they want?"), Step("draft", "Write the reply.", 200)),
)


def request(body: str = "Hi! Are you free this weekend?", workflow=SPEC) -> DraftRequest:
    return DraftRequest(
        template_key="pursue.next_step",
        canon_text="Send me your preferred day.",
        max_chars=1000,
        inbound_body=body,
        thread_handle="anna",
        history=(Turn("Anna", body),),
        workflow=workflow,
    )


@pytest.fixture
def engine(gpu_path, model_server):
    with InferenceClient(model_server.url, dialect=Dialect.LLAMA_CPP, seed=7) as client:
        yield ModelEngine(engine_id=GEMMA, client=client, model=GENERATOR)


def test_the_chain_feeds_each_think_output_into_the_next_step(engine):
    asked = request()
    outcome = draft_batch(engine, [asked], concurrency=1)[0]
    steps = outcome.steps
    think, draft = steps
    assert (think["kind"], draft["kind"]) == ("think", "draft")
    # The think step's output reaches the draft step as quoted data.
    assert data_block(asked, think["output"]) in draft["messages"][-1]["content"]
    if isinstance(outcome, EngineError):  # the small model may run past max_tokens
        assert outcome.reason == "malformed_output"
        assert (draft["output"], draft["finish_reason"]) == ("", "error")
        outcomes = ModelCall.objects.order_by("started_at").values_list("outcome", flat=True)
        assert list(outcomes) == ["ok", "truncated"]
        return
    result = outcome
    assert result.body == draft["output"]
    assert result.tokens_in == think["tokens_in"] + draft["tokens_in"] > 0
    assert ModelCall.objects.filter(task="prospect.draft", model=GENERATOR).count() == 2
