"""What the commands that read JSONL files (`gate`, `classify`) share: every non-blank
line of every file, with where it came from, and a clear error for a file that cannot be
read."""

from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import CommandError


def numbered_lines(files: list[Path]) -> Iterator[tuple[str, str]]:
    """``("file.jsonl:3", line)`` for each non-blank line, in order."""
    for file in files:
        try:
            lines = file.read_text().splitlines()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from error
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield f"{file}:{number}", line
