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
