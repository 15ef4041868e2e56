from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from prospects.builds.move_head import move_head_train
from prospects.deciding.move_corpus import CorpusInvalid, labelled_files


class Command(BaseCommand):
    help = (
        "The linear move head. `moves train [--labels FILE.jsonl ...]` fits one on the "
        "train split of the database's labels plus the files' lines "
        '({"body", "move", "is_prospect"} a line, as tests/fixtures/moves/), registers it '
        "as a classifier build (local-moves-linear_<date>.<n>, with its training run and, "
        "when people's labels are held out, its evaluation) and ends with RESULT build=... "
        "move_accuracy=... is_prospect_accuracy=... on the held-out split. It promotes "
        "nothing: the build page's promotion gate does."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        train = actions.add_parser("train", help="fit, register and score a new head")
        train.add_argument(
            "--labels",
            nargs="+",
            type=Path,
            default=[],
            metavar="FILE",
            help="labelled JSONL files to learn from beside the database's labels",
        )

    def handle(self, *args, action, labels, **options):
        try:
            extra = labelled_files(labels)
        except CorpusInvalid as error:
            raise CommandError(f"--labels: {error}") from error
        try:
            training = move_head_train(extra=extra)
        except ValueError as error:
            raise CommandError(str(error)) from error
        metrics = training.run.metrics
        self.stdout.write(
            f"trained on {metrics['train_lines']} lines ({metrics['train_labels']} people's "
            f"labels), held out {metrics['held_out']} ({metrics['held_out_labels']} labels)"
        )
        if training.evaluation is not None:
            scored = training.evaluation.metrics
            self.stdout.write(
                f"evaluation on people's held-out labels: {scored.get('cases')} cases, "
                f"move_accuracy={scored.get('move_accuracy')} "
                f"is_prospect_accuracy={scored.get('is_prospect_accuracy')}"
            )
        self.stdout.write(training.result_line())
