import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bench.fixed_latency_server import FixedLatencyServer
from engines.registry import clients_close
from engines.services import engine_build_register

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    out = StringIO()
    call_command("classify", *map(str, args), stdout=out)
    return out.getvalue().splitlines()


def test_one_verdict_per_line_with_who_decided(tmp_path):
    path = tmp_path / "messages.jsonl"
    path.write_text(
        json.dumps({"body": "Could we do half an hour?"})
        + "\n"
        + json.dumps({"body": "mmm", "thread_state": "engaged"})
        + "\n"
    )
    first, second = (json.loads(line) for line in run(path))
    assert first == {
        "is_prospect": True,
        "move": "subhour",
        "trace": 'Asks for less than an hour: "half an hour".',
        "classified_by": "rules",
    }
    assert (second["move"], second["classified_by"]) == ("pursue", "rules")


def test_labelled_files_end_with_the_accuracies(tmp_path):
    path = tmp_path / "labelled.jsonl"
    lines = [
        {"body": "Could we do half an hour?", "move": "subhour", "is_prospect": True},
        {"body": "Mum says dinner at 7", "move": "personal", "is_prospect": False},
        {"body": "Mum says dinner at 7!", "move": "spam", "is_prospect": False},  # wrong move
        {"body": "what's your address", "move": "pursue", "is_prospect": True},  # wrong move
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    *verdicts, result = run(path, "--labelled")
    assert len(verdicts) == 4
    assert result == "RESULT move_accuracy=0.500 is_prospect_accuracy=1.000 messages=4"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"body": 5}', '"body" must be a string'),
        ('{"body": "hi", "move": "dance", "is_prospect": true}', '"move" must be one of'),
        ('{"body": "hi", "move": "spam", "is_prospect": true}', '"is_prospect" must be false'),
        ('{"body": "hi", "thread_state": "asleep"}', '"thread_state" must be one of'),
    ],
)
def test_a_bad_line_names_its_number_and_what_is_wrong(tmp_path, line, problem):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"body": "hello", "move": "opener", "is_prospect": true}\n' + line + "\n")
    with pytest.raises(CommandError, match=f"bad.jsonl:2: .*{problem}"):
        run(path, "--labelled")


def test_a_classifier_build_decides_where_it_answers_and_the_rules_elsewhere(tmp_path):
    answer = {"is_prospect": False, "move": "vendor", "trace": "Sells ad space."}
    server = FixedLatencyServer(0.0, answers={"moves": json.dumps(answer)}).start()
    clients_close()
    build = "endpoint-moves_1"
    engine_build_register(
        engine_id=build, endpoint_url=server.url, served_model="moves", head="classifier"
    )
    path = tmp_path / "messages.jsonl"
    path.write_text(json.dumps({"body": "Boost your profile with our ads"}) + "\n")
    try:
        [verdict] = (json.loads(line) for line in run(path, "--classifier", build))
    finally:
        server.stop()
        clients_close()
    assert verdict == {**answer, "classified_by": build}
    [fallback] = (json.loads(line) for line in run(path, "--classifier", build))
    assert fallback["classified_by"] == "rules"  # the server is gone: the rules decide


def test_only_rules_or_a_classifier_build_may_be_named(tmp_path, gemma_build):
    path = tmp_path / "messages.jsonl"
    path.write_text(json.dumps({"body": "hi"}) + "\n")
    with pytest.raises(CommandError, match="--classifier: .* drafts replies"):
        run(path, "--classifier", gemma_build.engine_id)
