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
