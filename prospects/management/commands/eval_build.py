import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from engines.models.training import Evaluation
from engines.training.evaluation import evaluation_create, evaluation_execute
from prospects.builds.evaluation_runs import evaluation_cases
from prospects.builds.tuning import Split


class Command(BaseCommand):
    help = "Scores a served build on a held-out split, here and now; prints the scores as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--engine", required=True, help="A registered model build's id.")
        parser.add_argument("--split", default="eval", choices=[s.value for s in Split])
        parser.add_argument("--head", default="voice", choices=Evaluation.Head.values)

    def handle(self, *args, engine, split="eval", head="voice", **options):
        try:
            evaluation = evaluation_create(
                engine_id=engine, head=head, split=split, cases=evaluation_cases(head, split)
            )
        except ValidationError as invalid:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in invalid.message_dict.items())
            raise CommandError(problems) from invalid
        evaluation = evaluation_execute(evaluation.id)
        if evaluation.status != Evaluation.Status.SUCCEEDED:
            raise CommandError(f"Evaluation {evaluation.id} failed: {evaluation.status_detail}")
        self.stdout.write(json.dumps({"evaluation": str(evaluation.id), **evaluation.metrics}))
