import pytest

from engines.ids import InvalidEngineId, Provider, parse_engine_id


def test_template_is_the_baseline_engine():
    parsed = parse_engine_id("template")
    assert parsed.is_template
    assert parsed.provider is None


def test_do_gpu_id_splits_into_provider_model_and_build():
    parsed = parse_engine_id("do-gpu-mistral-nemo-12b-uncensored_2026-06-29.1")
    assert parsed.provider == Provider.DO_GPU
    assert parsed.model == "mistral-nemo-12b-uncensored"
    assert parsed.build == "2026-06-29.1"
    assert not parsed.is_template


def test_endpoint_id_parses():
    parsed = parse_engine_id("endpoint-gemma3-270m_2026-11-23.1")
    assert (parsed.provider, parsed.model, parsed.build) == (
        Provider.ENDPOINT,
        "gemma3-270m",
        "2026-11-23.1",
    )


def test_a_local_id_names_an_in_process_model():
    parsed = parse_engine_id("local-moves-linear_2026-12-07.1")
    assert (parsed.provider, parsed.model, parsed.build) == (
        Provider.LOCAL,
        "moves-linear",
        "2026-12-07.1",
    )
    assert parsed.runs_in_process
    assert not parse_engine_id("endpoint-gemma3-270m_2026-11-23.1").runs_in_process


def test_a_local_id_for_a_model_no_code_here_loads_is_refused():
    with pytest.raises(InvalidEngineId, match="names no local model: .* moves-linear"):
        parse_engine_id("local-gemma3-270m_1")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Template",
        "gpu-mistral_1",  # unknown provider
        "do-gpu-mistral",  # no build
        "do-gpu-_2026",  # no model
        "do-gpu-Mistral_1",  # upper-case model
        "do-gpu-mistral_1_2",  # two builds
        "endpoint-gemma 3_1",  # whitespace
        "do-gpu-mistral_",  # empty build
        "endpoint-x_" + "1" * 200,  # too long
    ],
)
def test_malformed_ids_are_rejected_with_a_message(value):
    with pytest.raises(InvalidEngineId) as error:
        parse_engine_id(value)
    assert str(error.value)
