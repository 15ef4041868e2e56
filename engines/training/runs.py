"""Training runs: created from an export snapshot, run once, and registered as a new
engine build with its lineage. The training itself is ``engines.training.trainer`` (no Django)."""

import json
from dataclasses import asdict, fields
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat

from core.clock import now
from engines.heads import served_adapter_name
from engines.ids import InvalidEngineId, Provider, parse_engine_id
from engines.models import EngineBuild
from engines.models.training import Evaluation, TrainingRun
from engines.services import engine_build_register
from engines.training.tokens import report_token_valid
from engines.training.trainer import (
    Head,
    HyperParameters,
    TrainingResult,
    default_hyper_parameters,
    lines_digest,
)

# Numbers a person may set, with the least each may be.
HYPER_MINIMUMS = {
    "r": 1,
    "alpha": 1,
    "dropout": 0.0,
    "learning_rate": 1e-7,
    "epochs": 0.01,
    "batch_size": 1,
    "gradient_accumulation": 1,
    "max_length": 16,
    "warmup_ratio": 0.0,
}
HYPER_TYPES = {item.name: item.type for item in fields(HyperParameters)}


def hyper_parameters_for(head: str, overrides: dict | None) -> tuple[HyperParameters, dict]:
    """The head's defaults with ``overrides`` applied; field errors keyed
    ``hyper_parameters.<name>``."""
    base = asdict(default_hyper_parameters(Head(head)))
    errors = {}
    for name, value in (overrides or {}).items():
        key = f"hyper_parameters.{name}"
        if name not in base:
            errors[key] = [f"Unknown hyper-parameter; known: {', '.join(sorted(base))}."]
        elif name == "target_modules":
            if not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
                errors[key] = ["A non-empty list of module names."]
            else:
                base[name] = value
        elif HYPER_TYPES[name] is bool:
            if not isinstance(value, bool):
                errors[key] = ["true or false."]
            else:
                base[name] = value
        elif isinstance(value, bool) or not isinstance(value, int | float):
            errors[key] = ["A number."]
        elif HYPER_TYPES[name] is int and not float(value).is_integer():
            errors[key] = ["A whole number."]
        elif name in HYPER_MINIMUMS and value < HYPER_MINIMUMS[name]:
            errors[key] = [f"At least {HYPER_MINIMUMS[name]}."]
        elif name == "dropout" and value >= 1:
            errors[key] = ["Below 1."]
        else:
            base[name] = int(value) if HYPER_TYPES[name] is int else value
    return HyperParameters(**base), errors


def default_engine_id(parent: EngineBuild, head: str) -> str:
    parsed = parent.parsed
    stamp = now().strftime("%Y%m%d%H%M%S")
    return f"{parsed.provider}-{parsed.model}_{parsed.build}-{head}-{stamp}"


def training_run_create(
    *,
    lines: list[str],
    parent_engine_id: str,
    source_engine_ids: list[str],
    head: str = TrainingRun.Head.VOICE,
    new_engine_id: str = "",
    hyper_parameters: dict | None = None,
    base_model: str = "",
    user=None,
) -> TrainingRun:
    """A queued run over exactly ``lines``; raises ``ValidationError`` with field errors."""
    errors: dict[str, list[str]] = {}
    if head not in TrainingRun.Head.values:
        errors["head"] = [f"One of: {', '.join(TrainingRun.Head.values)}."]
        head = TrainingRun.Head.VOICE
    parent = EngineBuild.objects.filter(engine_id=parent_engine_id).first()
    if parent is None:
        errors["parent_engine_id"] = [f"'{parent_engine_id}' is not a registered build."]
    elif parent.parsed.is_template:
        errors["parent_engine_id"] = ["The template engine has no weights to adapt."]
    elif parent.parsed.runs_in_process:
        errors["parent_engine_id"] = [
            "An in-process move head has no weights to adapt: train a new one with "
            "'manage.py moves train' (or let the schedule retrain it)."
        ]
    elif parent.parsed.provider == Provider.DO_GPU and (
        training_placement() == TrainingRun.Placement.WORKER
    ):
        errors["parent_engine_id"] = [
            "A do-gpu build serves its adapters from the weights volume, which only a training "
            "droplet writes: set DO_TOKEN, DO_TRAINING_IMAGE, DO_WEIGHTS_VOLUME and "
            "TRAINING_API_URL, or adapt an endpoint build."
        ]
    if parent is not None and not errors and not new_engine_id:
        new_engine_id = default_engine_id(parent, head)
    if new_engine_id:
        errors |= _new_engine_id_errors(new_engine_id, parent)
    hyper, hyper_errors = hyper_parameters_for(head, hyper_parameters)
    errors |= hyper_errors
    base_model = base_model or (parent.model_path if parent else "") or settings.TRAINING_BASE_MODEL
    if not base_model:
        errors["base_model"] = ["Name the base weights' folder (or set TRAINING_BASE_MODEL)."]
    if not lines:
        errors["source_engine_ids"] = [
            "No training lines: these builds have no reviewed drafts in the train split."
        ]
    if errors:
        raise ValidationError(errors)
    return TrainingRun.objects.create(
        placement=training_placement(),
        head=head,
        base_model=base_model,
        parent_engine_id=parent_engine_id,
        source_engine_ids=list(source_engine_ids),
        new_engine_id=new_engine_id,
        snapshot="\n".join(lines),
        data_sha256=lines_digest(lines),
        data_lines=len(lines),
        hyper_parameters=asdict(hyper),
        created_by=user,
    )


def training_placement() -> str:
    """A training droplet when one can be started and can report back; else the worker."""
    gpu_ready = all(
        (
            settings.DO_TOKEN,
            settings.DO_TRAINING_IMAGE,
            settings.DO_WEIGHTS_VOLUME,
            settings.TRAINING_API_URL,
        )
    )
    return TrainingRun.Placement.GPU if gpu_ready else TrainingRun.Placement.WORKER


def _new_engine_id_errors(new_engine_id: str, parent: EngineBuild | None) -> dict:
    try:
        parsed = parse_engine_id(new_engine_id)
    except InvalidEngineId as invalid:
        return {"new_engine_id": [str(invalid)]}
    if parsed.is_template:
        return {"new_engine_id": ["A trained build needs its own '<provider>-<model>_<build>'."]}
    if parent is not None and (parsed.provider, parsed.model) != (
        parent.parsed.provider,
        parent.parsed.model,
    ):
        return {
            "new_engine_id": [
                f"An adapter serves on its parent's model: start it with "
                f"'{parent.parsed.provider}-{parent.parsed.model}_'."
            ]
        }
    taken = EngineBuild.objects.filter(engine_id=new_engine_id).exists()
    if taken or TrainingRun.objects.filter(new_engine_id=new_engine_id).exists():
        return {"new_engine_id": [f"'{new_engine_id}' is already taken."]}
    return {}


def _append_log(run_id, line: str) -> None:
    TrainingRun.objects.filter(id=run_id).update(log=Concat(F("log"), Value(line + "\n")))


def adapter_name(run: TrainingRun) -> str:
    return served_adapter_name(run.head, run.new_engine_id)


def training_job(run_id, token: str) -> dict:
    """What a training droplet needs to train its run; the run's report token opens it."""
    run = run_for_droplet(run_id, token)
    return {
        "base_model": run.base_model,
        "head": run.head,
        "hyper_parameters": run.hyper_parameters,
        "lines": run.snapshot.split("\n"),
    }


REPORTED = ("running", "succeeded", "failed")


def training_run_report(run_id, token: str, *, status: str, log=(), **fields) -> TrainingRun:
    """A training droplet's report: log lines, then one end. After the end the token is
    closed (a retried POST gets 403), and a success registers the build like a worker
    run's."""
    run = run_for_droplet(run_id, token)
    errors = {}
    if status not in REPORTED:
        errors["status"] = [f"One of: {', '.join(REPORTED)}."]
    if status == "succeeded" and not fields.get("adapter_dir"):
        errors["adapter_dir"] = ["Where the adapter was written is required on success."]
    if not isinstance(log, list | tuple) or not all(isinstance(line, str) for line in log):
        errors["log"] = ["A list of lines."]
    if errors:
        raise ValidationError(errors)
    if log:
        _append_log(run.id, "\n".join(line[:2000] for line in log[:500]))
    if status == "failed":
        detail = str(fields.get("detail", ""))[:4000] or "The droplet reported a failure."
        TrainingRun.finish(run.id, TrainingRun.Status.FAILED, detail)
    elif status == "succeeded":
        result = TrainingResult(
            adapter_dir=str(fields["adapter_dir"]),
            metrics=fields.get("metrics") if isinstance(fields.get("metrics"), dict) else {},
            metadata={},
            device=str(fields.get("device") or "cuda"),
        )
        _register(TrainingRun.objects.get(id=run.id), result)
    return TrainingRun.objects.get(id=run.id)


def run_for_droplet(run_id, token: str) -> TrainingRun:
    """The GPU run the token opens, only while the run runs (from the moment its machine
    is asked for until its end): ``PermissionDenied`` for any other token, and for this
    one before and after, so a leaked token reads no training data once the run is over."""
    run = TrainingRun.objects.filter(id=run_id, placement=TrainingRun.Placement.GPU).first()
    if run is None or not report_token_valid(run.id, token):
        raise PermissionDenied("Not this run's report token.")
    if run.status != TrainingRun.Status.RUNNING:
        raise PermissionDenied(f"The run is {run.status}: its token is closed.")
    return run


def training_run_execute(run_id) -> TrainingRun:
    """Runs a queued run once: a second call (a redelivered task) finds it claimed and
    returns it as it is. A failure marks the run failed with its reason."""
    from engines.training.trainer import train_adapter

    claimed = TrainingRun.start(run_id, placement=TrainingRun.Placement.WORKER, device="cpu")
    run = TrainingRun.objects.get(id=run_id)
    if not claimed:
        return run
    out_dir = Path(settings.TRAINING_OUTPUT_DIR) / run.new_engine_id
    try:
        result = train_adapter(
            base_model=run.base_model,
            lines=run.snapshot.split("\n"),
            out_dir=out_dir,
            head=Head(run.head),
            hyper=HyperParameters(**run.hyper_parameters),
            log=lambda line: _append_log(run.id, line),
        )
    except Exception as error:  # noqa: BLE001 - any failure is the run's, with its reason
        TrainingRun.finish(run.id, TrainingRun.Status.FAILED, f"{type(error).__name__}: {error}")
        return TrainingRun.objects.get(id=run.id)
    _register(run, result)
    return TrainingRun.objects.get(id=run.id)


@transaction.atomic
def _register(run: TrainingRun, result) -> EngineBuild | None:
    """The finished run's build, beside its parent: same endpoint and weights, plus the
    new adapter among the LoRA heads, which its requests name. None when the run was
    ended meanwhile (the sweep gave it up): the first end stands."""
    active = TrainingRun.objects.select_for_update().filter(id=run.id, status__in=run.ACTIVE)
    if not active.exists():
        return None
    parent = EngineBuild.objects.get(engine_id=run.parent_engine_id)
    name = adapter_name(run)
    build = engine_build_register(
        engine_id=run.new_engine_id,
        description=f"LoRA {run.head} adapter from training run {run.id}",
        endpoint_url=parent.endpoint_url,
        served_model=parent.served_model,
        json_dialect=parent.json_dialect,
        model_path=parent.model_path,
        lora_modules={**parent.lora_modules, name: result.adapter_dir},
        lora_ranks={**parent.lora_ranks, name: run.hyper_parameters.get("r", HyperParameters.r)},
        adapter=name,
        max_concurrency=parent.max_concurrency,
        head=run.head,
    )
    TrainingRun.finish(
        run.id,
        TrainingRun.Status.SUCCEEDED,
        metrics=result.metrics,
        adapter_dir=result.adapter_dir,
        device=result.device,
        build=build,
    )
    _append_log(run.id, json.dumps({"event": "registered", "engine_id": build.engine_id}))
    return build


WORKER_LOST = "The worker stopped before it finished (a crash or the time limit)."


def runs_sweep() -> int:
    """Fails training runs and evaluations still 'running' past their time limit: the
    worker that held them is gone, and nothing else would ever finish them."""
    moment = now()
    # One by one, so each run's end is in its history.
    stale_runs = sum(
        TrainingRun.finish(pk, TrainingRun.Status.FAILED, WORKER_LOST)
        for pk in TrainingRun.objects.filter(
            status=TrainingRun.Status.RUNNING,
            started_at__lt=moment - timedelta(seconds=settings.TRAINING_TIME_LIMIT + 60),
        ).values_list("id", flat=True)
    )
    stale_evaluations = Evaluation.objects.filter(
        status=Evaluation.Status.RUNNING,
        started_at__lt=moment - timedelta(seconds=settings.EVALUATION_TIME_LIMIT + 60),
    ).update(status=Evaluation.Status.FAILED, status_detail=WORKER_LOST, finished_at=moment)
    return stale_runs + stale_evaluations
