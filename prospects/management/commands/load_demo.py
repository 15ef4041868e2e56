from django.conf import settings
from django.core.management.base import BaseCommand

from prospects.demo import demo_load


class Command(BaseCommand):
    help = "Loads the demo: users admin/operator/coworker, canon, engine builds, threads."

    def handle(self, *args, **options):
        summary = demo_load(password=settings.DEMO_PASSWORD)
        self.stdout.write(
            f"Demo loaded: {summary['canon_entries']} canon entries, "
            f"{summary['workflows']} workflows, {summary['messages']} new messages."
        )
        self.stdout.write(
            f"Log in as {', '.join(summary['users'])} with password '{settings.DEMO_PASSWORD}'."
        )
