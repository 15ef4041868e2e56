from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from prospects.docs_tables import DocsError, docs_rendered


class Command(BaseCommand):
    help = (
        "Rewrites the tables that docs/configuration.md and docs/api.md take from the code "
        "(the settings' environment variables; who may call each API endpoint). With --check "
        "it writes nothing and fails naming each file whose table is stale."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="fail if a table differs; write nothing"
        )

    def handle(self, *args, check, **options):
        root = settings.BASE_DIR
        try:
            rendered = docs_rendered(root)
        except DocsError as error:
            raise CommandError(str(error)) from error
        stale = [path for path, text in rendered.items() if (root / path).read_text() != text]
        if check and stale:
            names = ", ".join(str(path) for path in stale)
            raise CommandError(f"Stale: {names}. Run `python manage.py docs_tables`.")
        for path in stale:  # none left under --check
            (root / path).write_text(rendered[path])
            self.stdout.write(f"Rewrote {path}")
        if not stale:
            self.stdout.write("The generated tables match the code.")
