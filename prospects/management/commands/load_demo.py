from django.conf import settings
from django.core.management.base import BaseCommand

from prospects.demo import demo_load, demo_new_messages


class Command(BaseCommand):
    help = "Loads the demo: users admin/operator/coworker, canon, engine builds, threads."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-experiment",
            action="store_true",
            help="leave out the A/B test and its week of reviewed drafts",
        )
        parser.add_argument(
            "--new-messages",
            action="store_true",
            help="also a few new messages, for the worker to draft with the live engine",
        )

    def handle(self, *args, no_experiment=False, new_messages=False, **options):
        summary = demo_load(password=settings.DEMO_PASSWORD, experiment=not no_experiment)
        if new_messages:
            summary["messages"] += demo_new_messages()
        self.stdout.write(
            f"Demo loaded: {summary['canon_entries']} canon entries, "
            f"{summary['workflows']} workflows, {summary['messages']} new messages."
        )
        self.stdout.write(
            f"Log in as {', '.join(summary['users'])} with password '{settings.DEMO_PASSWORD}'."
        )
