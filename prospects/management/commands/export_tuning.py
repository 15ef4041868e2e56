import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import make_aware

from engines.ids import InvalidEngineId, parse_engine_id
from prospects.builds.tuning import Format, Split, tuning_jsonl
from prospects.models import Outcome


def since_arg(value: str):
    """An ISO date or date-time; a naive one is read in the project's time zone."""
    moment = parse_datetime(value)
    if moment is None and (day := parse_date(value)) is not None:
        moment = parse_datetime(day.isoformat() + "T00:00:00")
    if moment is None:
        raise CommandError(f"--since: '{value}' is not an ISO date or date-time.")
    return moment if moment.tzinfo else make_aware(moment)


class Command(BaseCommand):
    help = (
        "Exports an engine build's reviewed drafts as fine-tuning JSONL (SFT or DPO), or "
        "DPO pairs of a reply that booked over one that did not (dpo-booked)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--engine", required=True, help="Engine id, e.g. vllm-gemma3_v1.")
        parser.add_argument("--format", required=True, choices=[f.value for f in Format])
        parser.add_argument("--since", help="Only drafts reviewed at or after this ISO time.")
        parser.add_argument("--split", default="all", choices=[s.value for s in Split])
        parser.add_argument(
            "--outcome",
            choices=Outcome.values,
            help="Only drafts sent before a recorded thread outcome of this kind (sft, dpo).",
        )
        parser.add_argument("--out", help="Write here (replaced atomically) instead of stdout.")

    def handle(
        self, *args, engine, format, since=None, split="all", outcome=None, out=None, **options
    ):
        try:
            parse_engine_id(engine)
        except InvalidEngineId as error:
            raise CommandError(f"--engine: {error}") from error
        if outcome is not None and outcome not in Outcome.values:
            raise CommandError(f"--outcome: '{outcome}' is not one of {', '.join(Outcome.values)}.")
        lines = tuning_jsonl(
            engine_id=engine,
            fmt=Format(format),
            since=since_arg(since) if since else None,
            split=Split(split),
            outcome=outcome,
        )
        count = self._write(Path(out), lines) if out else self._print(lines)
        self.stderr.write(f"{count} {format} lines exported for {engine}.")

    def _print(self, lines) -> int:
        count = 0
        for line in lines:
            self.stdout.write(line, ending="")
            count += 1
        return count

    @staticmethod
    def _write(path: Path, lines) -> int:
        """Into a temporary file beside ``path``, then renamed: a reader never sees half."""
        count = 0
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, suffix=".part", delete=False
        ) as handle:
            try:
                for line in lines:
                    handle.write(line)
                    count += 1
            except BaseException:
                os.unlink(handle.name)
                raise
        os.replace(handle.name, path)
        return count
