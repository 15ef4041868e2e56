import json
from dataclasses import asdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from engines.management.jsonl import numbered_lines
from prospects.deciding.classify import classify_with_head
from prospects.deciding.move_corpus import CorpusInvalid, MoveScore, parse_labelled
from prospects.engine_switch import classifier_engine_problem
from prospects.selectors import pipeline_settings


class Command(BaseCommand):
    help = (
        'Classifies messages: reads one {"body": ..., "thread_state": ...} per line and prints '
        'one {"is_prospect", "move", "trace", "classified_by"} per line, in input order (the '
        "live classifier build, or the one --classifier names; the rules where it gives no "
        "answer or is 'rules'). With --labelled, lines also carry "
        '"move" and "is_prospect" (tests/fixtures/moves/) and the last line is '
        "RESULT move_accuracy=... is_prospect_accuracy=..."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="JSONL files")
        parser.add_argument(
            "--labelled", action="store_true", help="score the verdicts against the labels"
        )
        parser.add_argument(
            "--classifier",
            default="",
            help="a classifier build's engine id, or 'rules' (default: the live classifier)",
        )

    def handle(self, *args, files, labelled, classifier, **options):
        classifier = classifier or pipeline_settings().classifier_engine
        if problem := classifier_engine_problem(classifier):
            raise CommandError(f"--classifier: {problem}")
        score = MoveScore()
        for where, line in numbered_lines(files):
            try:
                item = parse_labelled(line, labelled=labelled)
            except CorpusInvalid as error:
                raise CommandError(f"{where}: {error}") from error
            verdict = classify_with_head(
                item.body, thread_state=item.thread_state, classifier=classifier
            )
            if labelled:
                score.add(item, verdict)
            fields = asdict(verdict)
            self.stdout.write(json.dumps({key: fields[key] for key in MoveScore.VERDICT_KEYS}))
        if labelled:
            self.stdout.write(score.result_line())
