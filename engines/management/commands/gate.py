import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from engines.gate import reply_gate
from engines.gate.corpus import CorpusInvalid, GateScore, judge, parse_labelled
from engines.management.jsonl import numbered_lines


class Command(BaseCommand):
    help = (
        'Lints texts with the validation gate: reads one {"text": ..., "max_chars": ...} '
        'per line and prints one {"ok": ..., "failed": [...]} per line, in input order. '
        'With --labelled, lines are {"text", "unsafe", "kind"} (tests/fixtures/gate/) and '
        "the last line is RESULT unsafe_held=... safe_flagged=..."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="JSONL files")
        parser.add_argument(
            "--labelled", action="store_true", help="score the gate against the labels"
        )

    def handle(self, *args, files, labelled, **options):
        score = GateScore()
        for where, line in numbered_lines(files):
            try:
                verdict = _labelled(line, score) if labelled else _plain(line)
            except (CorpusInvalid, ValueError, KeyError, TypeError) as error:
                raise CommandError(f"{where}: {error}") from error
            self.stdout.write(json.dumps(verdict))
        if labelled:
            self.stdout.write(score.result_line())


def _labelled(line: str, score: GateScore) -> dict:
    item = parse_labelled(line)
    verdict = judge(item)
    score.add(item, verdict)
    return {**verdict.as_json(), "unsafe": item.unsafe, "kind": item.kind}


def _plain(line: str) -> dict:
    item = json.loads(line)
    text = item["text"]
    if not isinstance(text, str):
        raise TypeError("text is not a string")
    max_chars = int(item.get("max_chars", settings.DRAFT_MAX_CHARS))
    return reply_gate.check(text, max_chars=max_chars).as_json()
