import json
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.test import override_settings

from prospects.builds.tuning_loop import LoopFailed, child_promote, child_train, held_out_scores
from prospects.demo import DEMO_ENDPOINT_BUILD
from prospects.tuning_corpus import CORPUS, CorpusInvalid, corpus_load

# What the voice adapter is trained with on the CPU (docs/benchmarks.md, "Tuning loop").
HYPER_PARAMETERS = {"epochs": 1.0, "learning_rate": 5e-4, "batch_size": 4, "r": 16, "alpha": 32}


class Command(BaseCommand):
    help = (
        "The tuning loop on this machine: loads the tuning corpus as corrections of the "
        "parent build, trains the child's voice adapter on the train split (CPU), serves "
        "both on a local llama.cpp server, evaluates them on the held-out threads, promotes "
        "the child if the guards pass, and prints RESULT usable_parent=... usable_child=... "
        "edit_distance_parent=... edit_distance_child=... train_seconds=..."
    )

    def add_arguments(self, parser):
        parser.add_argument("--parent", default=DEMO_ENDPOINT_BUILD, help="the build to adapt")
        parser.add_argument("--corpus", type=Path, default=CORPUS, help="threads (JSONL)")
        parser.add_argument("--reviewer", default="coworker", help="who the corrections are by")
        parser.add_argument("--max-steps", type=int, default=-1, help="stop training early")
        parser.add_argument("--epochs", type=float, default=HYPER_PARAMETERS["epochs"])
        parser.add_argument("--limit", type=int, default=None, help="held-out cases asked")
        parser.add_argument("--no-promote", action="store_true", help="evaluate only")

    def handle(self, *args, parent, corpus, reviewer, max_steps, epochs, limit, **options):
        # The local server is a development tool, not part of the product's packages.
        from scripts.local_model_server import ModelServer, model_file, served_adapters

        user = User.objects.filter(username=reviewer).first()
        if user is None:
            raise CommandError(f"--reviewer: no user '{reviewer}' (run `manage.py load_demo`).")
        try:
            loaded = corpus_load(engine_id=parent, reviewer=user, path=corpus)
        except (CorpusInvalid, ValidationError) as error:
            raise CommandError(str(error)) from error
        self._say({"corpus": loaded.as_dict()})
        hyper = {**HYPER_PARAMETERS, "epochs": epochs, "max_steps": max_steps}
        started = time.monotonic()
        try:
            run = child_train(
                parent_engine_id=parent,
                base_model=str(model_file()),
                hyper_parameters=hyper,
                user=user,
            )
        except (LoopFailed, ValidationError) as error:
            raise CommandError(str(error)) from error
        train_seconds = time.monotonic() - started
        child = run.build.engine_id
        self._say({"child": child, "train_seconds": round(train_seconds), **run.metrics})
        server = ModelServer(adapters=served_adapters(Path(settings.TRAINING_OUTPUT_DIR)))
        server.start()
        try:
            with override_settings(GPU_INFERENCE_URL=server.url):
                parent_scores, child_scores = held_out_scores([parent, child], limit=limit)
        except LoopFailed as error:
            raise CommandError(str(error)) from error
        finally:
            server.stop()
        for scores in (parent_scores, child_scores):
            self._say({"engine_id": scores.engine_id, **scores.evaluation.metrics})
        if not options["no_promote"]:
            verdict = child_promote(child_engine_id=child, parent_engine_id=parent, user=user)
            self._say({"promoted": verdict.ok, "problems": verdict.problems})
        self.stdout.write(
            f"RESULT usable_parent={parent_scores.usable:.3f} "
            f"usable_child={child_scores.usable:.3f} "
            f"edit_distance_parent={parent_scores.edit_distance:.3f} "
            f"edit_distance_child={child_scores.edit_distance:.3f} "
            f"train_seconds={train_seconds:.0f}"
        )

    def _say(self, fields: dict) -> None:
        self.stdout.write(json.dumps(fields, ensure_ascii=False), ending="\n")
        self.stdout.flush()
