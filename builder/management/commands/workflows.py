from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from builder.files import WorkflowFileError, workflow_export, workflow_import


class Command(BaseCommand):
    help = (
        "Exports workflows, with the snippet versions they pin, to a folder of YAML files, "
        "or imports such a folder (snippet versions first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "import"])
        parser.add_argument("directory", type=Path)

    def handle(self, *args, action, directory, **options):
        if action == "export":
            paths = workflow_export(directory)
            self.stdout.write(f"Exported {len(paths)} workflows to {directory}.")
            return
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder.")
        try:
            report = workflow_import(directory)
        except WorkflowFileError as error:
            raise CommandError(f"Nothing imported.\n{error}") from error
        for note in report.notes:
            self.stdout.write(f"Note: {note}")
        self.stdout.write(
            f"Imported: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged; {len(report.snippets)} snippet versions added."
        )
