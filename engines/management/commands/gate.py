import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from engines import gate


class Command(BaseCommand):
    help = (
        'Lints texts with the validation gate: reads one {"text": ..., "max_chars": ...} '
        'per line and prints one {"ok": ..., "failed": [...]} per line, in input order.'
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="a JSONL file")

    def handle(self, *args, file, **options):
        lines = _read(file)
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                text = item["text"]
                max_chars = int(item.get("max_chars", settings.DRAFT_MAX_CHARS))
                if not isinstance(text, str):
                    raise TypeError("text is not a string")
            except (ValueError, KeyError, TypeError) as error:
                raise CommandError(f"{file}:{number}: {error!r}") from error
            verdict = gate.check(text, max_chars=max_chars)
            self.stdout.write(json.dumps(verdict.as_json()))


def _read(file: Path) -> list[str]:
    try:
        return file.read_text().splitlines()
    except OSError as error:
        raise CommandError(f"Cannot read {file}: {error.strerror}") from error
