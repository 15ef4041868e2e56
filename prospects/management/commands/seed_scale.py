import time

from django.core.management.base import BaseCommand, CommandError

from prospects.seed import seed_scale


class Command(BaseCommand):
    help = "Bulk-loads threads, messages (each with its decision) and drafts for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--threads", type=int, default=100_000)
        parser.add_argument("--messages", type=int, default=1_000_000)
        parser.add_argument("--drafts", type=int, default=200_000)

    def handle(self, *args, threads, messages, drafts, **options):
        started = time.monotonic()
        try:
            counts = seed_scale(threads=threads, messages=messages, drafts=drafts)
        except ValueError as error:
            raise CommandError(str(error)) from error
        rows = ", ".join(f"{count:,} {name}" for name, count in counts.items())
        self.stdout.write(f"Seeded {rows} in {time.monotonic() - started:.1f} s.")
