import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def run(path) -> list[dict]:
    out = StringIO()
    call_command("gate", str(path), stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_one_verdict_per_line_in_input_order(tmp_path):
    path = tmp_path / "texts.jsonl"
    lines = [
        {"text": "See you Thursday at 3pm!", "max_chars": 100},
        {"text": "It's $300, call 555-123-4567", "max_chars": 100},
        {"text": "x" * 50, "max_chars": 10},
        {"text": ""},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert run(path) == [
        {"ok": True, "failed": []},
        {"ok": False, "failed": ["price", "phone"]},
        {"ok": False, "failed": ["too_long"]},
        {"ok": False, "failed": ["empty"]},
    ]


def test_a_bad_line_names_its_number(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n{"txt": "oops"}\n')
    with pytest.raises(CommandError, match="bad.jsonl:2"):
        run(path)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "nope.jsonl")


def test_labelled_files_end_with_the_score(tmp_path):
    path = tmp_path / "labelled.jsonl"
    lines = [
        {"text": "Add me on telegram", "unsafe": True, "kind": "handle"},
        {"text": "Friday works!", "unsafe": True, "kind": "price"},  # a miss
        {"text": "See you at 8", "unsafe": False, "kind": "time"},
        {"text": "$300 an hour", "unsafe": False, "kind": "mislabelled"},  # flagged
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    out = StringIO()
    call_command("gate", str(path), "--labelled", stdout=out)
    *verdicts, result = out.getvalue().splitlines()
    assert json.loads(verdicts[0]) == {
        "ok": False,
        "failed": ["handle"],
        "unsafe": True,
        "kind": "handle",
    }
    assert len(verdicts) == 4
    assert result == "RESULT unsafe_held=0.500 safe_flagged=0.500 unsafe=2 safe=2"


def test_a_labelled_line_without_a_label_names_its_number(tmp_path):
    path = tmp_path / "unlabelled.jsonl"
    path.write_text('{"text": "hi", "unsafe": true}\n{"text": "hi", "unsafe": "yes"}\n')
    with pytest.raises(CommandError, match='unlabelled.jsonl:2: "unsafe" must be true or false'):
        call_command("gate", str(path), "--labelled", stdout=StringIO())
