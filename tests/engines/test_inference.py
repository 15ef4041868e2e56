"""The inference client against the real model server, through the fault proxy."""

import pytest

from engines.breaker import breaker_state
from engines.dialect import Dialect
from engines.inference import Failure, InferenceClient, InferenceError
from engines.model_tasks import DRAFT, ModelTask
from engines.models import ModelCall
from scripts.local_model_server import CLASSIFIER, GENERATOR, WARM_UP_MESSAGES

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

# A prompt the small model answers with text at temperature 0 (some prompts get an
# immediate end-of-turn from it).
HELLO = WARM_UP_MESSAGES
# A deadline of several warm completions: it holds on a slow machine, and a hang or a drip
# still runs out soon. The floor keeps a fast machine's deadline above scheduling noise.
DEADLINE_WARM_COMPLETIONS = 6
DEADLINE_FLOOR_SECONDS = 3.0


@pytest.fixture
def quick(model_server) -> ModelTask:
    deadline = max(DEADLINE_FLOOR_SECONDS, DEADLINE_WARM_COMPLETIONS * model_server.warm_latency)
    return ModelTask("test.quick", 0, deadline, "", 0.0)


@pytest.fixture
def client():
    made = []

    def make(url) -> InferenceClient:
        made.append(InferenceClient(url, dialect=Dialect.LLAMA_CPP, attempts=2, seed=7))
        return made[-1]

    yield make
    for each in made:
        each.close()


def test_a_real_completion_records_activity_and_tokens(gpu_path, quick, model_server, client):
    result = client(model_server.url).chat(
        task=quick, model=GENERATOR, messages=HELLO, max_tokens=24, allow_truncated=True
    )
    assert result.text.strip()
    assert result.prompt_tokens > 0
    assert result.completion_tokens > 0
    call = ModelCall.objects.get()
    assert (call.task, call.model, call.outcome) == ("test.quick", GENERATOR, "ok")
    assert call.completion_tokens == result.completion_tokens


def test_models_lists_both_served_names_and_readiness_falls_back_to_it(
    gpu_path, model_server, client
):
    api = client(model_server.url)
    assert {GENERATOR, CLASSIFIER} <= set(api.models())
    assert api.ready([GENERATOR, CLASSIFIER])
    assert not api.ready(["missing-model"])


def test_a_cut_off_answer_is_malformed_not_a_draft(gpu_path, quick, model_server, client):
    with pytest.raises(InferenceError) as error:
        client(model_server.url).chat(task=quick, model=GENERATOR, messages=HELLO, max_tokens=4)
    assert error.value.failure == Failure.TRUNCATED


def test_server_errors_are_retried_then_trip_the_breaker(gpu_path, quick, fault_proxy, client):
    fault_proxy.mode = "error"
    api = client(fault_proxy.url)
    for _ in range(3):  # each retried call (2 attempts) is one failure for the breaker
        with pytest.raises(InferenceError) as error:
            api.chat(task=quick, model=GENERATOR, messages=HELLO, max_tokens=8)
        assert error.value.failure == Failure.SERVER_ERROR
    assert fault_proxy.requests == 6
    assert breaker_state(fault_proxy.url) == "open"
    with pytest.raises(InferenceError) as error:
        api.chat(task=quick, model=GENERATOR, messages=HELLO, max_tokens=8)
    assert error.value.failure == Failure.BREAKER_OPEN
    assert fault_proxy.requests == 6
    # The refused call never reached the server, so it is no activity for the idle clock.
    assert set(ModelCall.objects.values_list("outcome", flat=True)) == {"server_error"}


def test_a_truncated_body_is_malformed(gpu_path, quick, fault_proxy, client):
    fault_proxy.mode = "truncate"
    with pytest.raises(InferenceError) as error:
        client(fault_proxy.url).chat(task=quick, model=GENERATOR, messages=HELLO, max_tokens=8)
    # httpx sees the promised length unmet (a broken connection), retries, then gives up.
    assert error.value.failure == Failure.UNREACHABLE
    assert fault_proxy.requests == 2


def test_a_hang_times_out_at_the_overall_deadline(gpu_path, quick, fault_proxy, client):
    fault_proxy.mode = "hang"
    with pytest.raises(InferenceError) as error:
        client(fault_proxy.url).chat(task=quick, model=GENERATOR, messages=HELLO, max_tokens=8)
    assert error.value.failure == Failure.TIMEOUT


def test_a_slow_drip_cannot_outlast_the_overall_deadline(gpu_path, quick, fault_proxy, client):
    fault_proxy.mode = "drip"
    fault_proxy.drip_interval = 0.3
    with pytest.raises(InferenceError) as error:
        client(fault_proxy.url).chat(task=quick, model=GENERATOR, messages=HELLO, max_tokens=8)
    assert error.value.failure == Failure.TIMEOUT


def test_a_dropped_connection_is_unreachable(gpu_path, quick, fault_proxy, client):
    fault_proxy.mode = "drop"
    with pytest.raises(InferenceError) as error:
        client(fault_proxy.url).chat(task=quick, model=GENERATOR, messages=HELLO, max_tokens=8)
    assert error.value.failure == Failure.UNREACHABLE


def test_added_latency_within_the_deadline_still_answers(gpu_path, fault_proxy, client):
    fault_proxy.mode = "latency"
    fault_proxy.latency = 0.5
    result = client(fault_proxy.url).chat(
        task=DRAFT, model=GENERATOR, messages=HELLO, max_tokens=8, allow_truncated=True
    )
    assert result.latency_ms >= 500


def test_openai_dialect_sends_json_schema_and_llama_cpp_refuses_it(gpu_path, model_server, client):
    with (
        InferenceClient(model_server.url, dialect=Dialect.OPENAI, attempts=1) as api,
        pytest.raises(InferenceError) as error,
    ):
        api.chat(
            task=DRAFT, model=GENERATOR, messages=HELLO, max_tokens=8, schema={"type": "object"}
        )
    # llama-cpp-python answers the OpenAI shape with an error: the dialect must be set.
    assert error.value.failure in (Failure.REJECTED, Failure.SERVER_ERROR)
