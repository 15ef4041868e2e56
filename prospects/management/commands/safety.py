import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from engines.management.jsonl import numbered_lines
from prospects.deciding.safety import safety_findings
from prospects.deciding.safety_corpus import CorpusInvalid, SafetyScore, judge, parse_labelled


class Command(BaseCommand):
    help = (
        'Screens messages with Gate-2\'s safety rules: reads one {"body": ...} per line and '
        'prints one {"held": ..., "cues": [...]} per line, in input order. With --labelled, '
        'lines are {"body", "unsafe"} (tests/fixtures/safety/), the misses and false alarms '
        "are listed, and the last line is RESULT unsafe_held=... safe_flagged=..."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="JSONL files")
        parser.add_argument(
            "--labelled", action="store_true", help="score the screen against the labels"
        )

    def handle(self, *args, files, labelled, **options):
        score = SafetyScore()
        for where, line in numbered_lines(files):
            try:
                answer = _labelled(line, score) if labelled else _plain(line)
            except (CorpusInvalid, ValueError, KeyError, TypeError) as error:
                raise CommandError(f"{where}: {error}") from error
            self.stdout.write(json.dumps(answer, ensure_ascii=False))
        if labelled:
            for item, _ in score.missed:
                self.stdout.write(f"MISSED [{item.category}] {item.body!r} ({item.note})")
            for item, cues in score.wrongly_flagged:
                found = "; ".join(str(cue) for cue in cues)
                self.stdout.write(f"FLAGGED {item.body!r} ({item.note}): {found}")
            self.stdout.write(score.result_line())


def _answer(cues) -> dict:
    return {"held": bool(cues), "cues": [str(cue) for cue in cues]}


def _labelled(line: str, score: SafetyScore) -> dict:
    item = parse_labelled(line)
    cues = judge(item)
    score.add(item, cues)
    return {**_answer(cues), "unsafe": item.unsafe, "category": item.category}


def _plain(line: str) -> dict:
    item = json.loads(line)
    if not isinstance(item.get("body"), str):
        raise TypeError('"body" is not a string')
    return _answer(safety_findings(item["body"]))
