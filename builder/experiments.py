"""Experiments: define, start, pause, assign threads to arms, promote and roll back.

Assignment is a stable hash of (experiment id, thread key), so a thread keeps its arm for
the life of the experiment and the shares match the weights. At most one running
experiment covers any situation: starting one whose scope overlaps a running one is
refused.
"""

import hashlib
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from builder.models import Experiment, ExperimentArm, Metric, WorkflowVersion
from builder.resolve import Situation
from builder.selectors import vocabulary
from builder.services import workflow_publish, workflow_rollback
from core.api_errors import StateConflict
from core.clock import now
from engines.selectors import engine_id_problem

ARMS_AT_LEAST_TWO = "An experiment needs at least two arms."
SCOPE_FIELDS = {"template_keys": "templateKeys", "archetypes": "archetypes", "states": "states"}


@dataclass(frozen=True)
class ArmSpec:
    key: str
    workflow_version: WorkflowVersion | None
    engine_id: str
    weight: int = 1
    is_control: bool = False


@dataclass(frozen=True)
class Scope:
    template_keys: frozenset[str] = frozenset()
    archetypes: frozenset[str] = frozenset()
    states: frozenset[str] = frozenset()

    @classmethod
    def of(cls, experiment: Experiment) -> "Scope":
        return cls(
            frozenset(experiment.template_keys),
            frozenset(experiment.archetypes),
            frozenset(experiment.states),
        )

    def covers(self, situation: Situation) -> bool:
        return (
            (not self.template_keys or situation.template_key in self.template_keys)
            and (not self.archetypes or situation.archetype in self.archetypes)
            and (not self.states or situation.state in self.states)
        )

    def overlaps(self, other: "Scope") -> bool:
        """Whether some situation falls in both scopes ("any" overlaps everything)."""
        return all(
            not mine or not theirs or bool(mine & theirs)
            for mine, theirs in (
                (self.template_keys, other.template_keys),
                (self.archetypes, other.archetypes),
                (self.states, other.states),
            )
        )


def _version_id(value) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def arm_specs(arms: list[dict]) -> list[ArmSpec]:
    """Arms from plain values (API or form). A ``workflow_version`` id that names no
    version, or is no id at all, becomes None, which validation reports by field."""
    ids = [_version_id(arm["workflow_version"]) for arm in arms]
    versions = {
        str(version.id): version
        for version in WorkflowVersion.objects.select_related("workflow").filter(
            id__in=[version_id for version_id in ids if version_id]
        )
    }
    return [
        ArmSpec(
            key=arm["key"],
            workflow_version=versions.get(version_id),
            engine_id=arm["engine_id"],
            weight=arm["weight"],
            is_control=arm["is_control"],
        )
        for arm, version_id in zip(arms, ids, strict=True)
    ]


def _arm_errors(arms: list[ArmSpec]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if len(arms) < 2:
        errors["arms"] = [ARMS_AT_LEAST_TWO]
    keys = [arm.key for arm in arms]
    if len(set(keys)) != len(keys):
        errors["arms"] = [*errors.get("arms", []), "Arm keys must be unique."]
    if sum(arm.is_control for arm in arms) > 1:
        errors["arms"] = [*errors.get("arms", []), "Mark one arm as control."]
    for index, arm in enumerate(arms):
        path = f"arms[{index}]"
        if not arm.key:
            errors[f"{path}.key"] = ["Give the arm a short key, e.g. A or B."]
        if arm.weight is None or arm.weight <= 0:
            errors[f"{path}.weight"] = ["The weight must be a positive whole number."]
        if arm.workflow_version is None:
            errors[f"{path}.workflow_version"] = ["Unknown workflow version."]
        elif arm.workflow_version.status == WorkflowVersion.Status.ARCHIVED:
            errors[f"{path}.workflow_version"] = [
                f"{arm.workflow_version.label} is archived; pick a draft or published version."
            ]
        if problem := engine_id_problem(arm.engine_id):
            errors[f"{path}.engine_id"] = [problem]
    return errors


def _scope_errors(scope: dict[str, list[str]]) -> dict[str, list[str]]:
    known = vocabulary()
    errors = {}
    for field, vocabulary_name in SCOPE_FIELDS.items():
        unknown = sorted(set(scope.get(field, [])) - set(known[vocabulary_name]))
        if unknown:
            errors[field] = [f"Unknown: {', '.join(unknown)}."]
    return errors


def _write(experiment: Experiment, scope: dict, arms: list[ArmSpec]) -> Experiment:
    errors = {**_scope_errors(scope), **_arm_errors(arms)}
    for field in SCOPE_FIELDS:
        setattr(experiment, field, sorted(set(scope.get(field, []))))
    try:
        experiment.full_clean(exclude=["champion", "previous_live_version"])
    except ValidationError as invalid:
        errors = {**invalid.message_dict, **errors}
    if errors:
        raise ValidationError(errors)
    experiment.save()
    experiment.arms.all().delete()
    has_control = any(arm.is_control for arm in arms)
    bulk_create_with_history(
        [
            ExperimentArm(
                experiment=experiment,
                key=arm.key,
                workflow_version=arm.workflow_version,
                engine_id=arm.engine_id,
                weight=arm.weight,
                is_control=arm.is_control or (not has_control and index == 0),
            )
            for index, arm in enumerate(arms)
        ],
        ExperimentArm,
    )
    return experiment


@transaction.atomic
def experiment_create(
    *,
    slug: str,
    name: str,
    arms: list[ArmSpec],
    scope: dict[str, list[str]] | None = None,
    metric: str = Metric.ACCEPTED_UNEDITED,
    min_sample: int = 100,
    user=None,
) -> Experiment:
    """A draft experiment; the first arm is control unless one is marked.

    Raises ``ValidationError`` with field paths (``arms[1].weight``) for bad input.
    """
    experiment = Experiment(
        slug=slug, name=name, metric=metric, min_sample=min_sample, created_by=user
    )
    return _write(experiment, scope or {}, arms)


@transaction.atomic
def experiment_update(
    *,
    experiment: Experiment,
    name: str,
    arms: list[ArmSpec],
    scope: dict[str, list[str]] | None = None,
    metric: str = Metric.ACCEPTED_UNEDITED,
    min_sample: int = 100,
) -> Experiment:
    """Rewrites a draft experiment; one that has run keeps its arms as they ran."""
    experiment = _locked(experiment, Experiment.Status.DRAFT, "edited")
    experiment.name, experiment.metric, experiment.min_sample = name, metric, min_sample
    return _write(experiment, scope or {}, arms)


def _locked(experiment: Experiment, allowed, doing: str) -> Experiment:
    """The experiment's row, locked; raises ``StateConflict`` unless its status allows
    ``doing``."""
    experiment = Experiment.objects.select_for_update().get(id=experiment.id)
    allowed = {allowed} if isinstance(allowed, str) else set(allowed)
    if experiment.status not in allowed:
        raise StateConflict({"status": [f"A {experiment.status} experiment cannot be {doing}."]})
    return experiment


@transaction.atomic
def experiment_delete(*, experiment: Experiment) -> None:
    experiment = _locked(experiment, Experiment.Status.DRAFT, "deleted; finish it instead")
    experiment.delete()


def overlapping_running(experiment: Experiment) -> list[Experiment]:
    scope = Scope.of(experiment)
    running = Experiment.objects.filter(status=Experiment.Status.RUNNING).exclude(id=experiment.id)
    return [other for other in running if scope.overlaps(Scope.of(other))]


@transaction.atomic
def experiment_start(*, experiment: Experiment) -> Experiment:
    """Starts a draft experiment or resumes a paused one.

    Raises ``StateConflict`` when it overlaps a running experiment or has no active arm.
    """
    # One lock for every start: two overlapping starts cannot pass the check together.
    list(Experiment.objects.select_for_update().filter(status=Experiment.Status.RUNNING))
    experiment = _locked(experiment, (Experiment.Status.DRAFT, Experiment.Status.PAUSED), "started")
    if clashes := overlapping_running(experiment):
        names = ", ".join(other.slug for other in clashes)
        raise StateConflict(
            {"scope": [f"The scope overlaps the running experiment(s) {names}; pause them first."]}
        )
    if not experiment.arms.filter(paused_at=None).exists():
        raise StateConflict({"arms": ["Every arm is paused; nothing would be assigned."]})
    experiment.status = Experiment.Status.RUNNING
    experiment.status_reason = ""
    experiment.started_at = experiment.started_at or now()
    experiment.save()
    return experiment


@transaction.atomic
def experiment_pause(
    *, experiment: Experiment, reason: str = "Paused by an operator."
) -> Experiment:
    experiment = _locked(experiment, Experiment.Status.RUNNING, "paused")
    experiment.status = Experiment.Status.PAUSED
    experiment.status_reason = reason
    experiment.save()
    return experiment


@transaction.atomic
def arm_pause(*, arm: ExperimentArm, reason: str) -> ExperimentArm:
    """Takes an arm out of assignment; the experiment pauses when no arm is left.

    Idempotent: an arm already paused keeps its first reason.
    """
    experiment = Experiment.objects.select_for_update().get(id=arm.experiment_id)
    arm = ExperimentArm.objects.select_for_update().get(id=arm.id)
    if arm.paused_at is not None:
        return arm
    arm.paused_at, arm.paused_reason = now(), reason
    arm.save()
    if (
        experiment.status == Experiment.Status.RUNNING
        and not experiment.arms.filter(paused_at=None).exists()
    ):
        experiment.status = Experiment.Status.PAUSED
        experiment.status_reason = "Every arm was paused by its guardrail."
        experiment.save()
    return arm


def bucket(experiment_id, thread_key: str, total_weight: int) -> int:
    """A stable number in [0, total_weight) for a thread in an experiment."""
    digest = hashlib.sha256(f"{experiment_id}:{thread_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % total_weight


def pick_arm(experiment_id, thread_key: str, arms: list[ExperimentArm]) -> ExperimentArm:
    """The arm a thread gets among ``arms``, in proportion to their weights."""
    ordered = sorted(arms, key=lambda arm: arm.key)
    point = bucket(experiment_id, thread_key, sum(arm.weight for arm in ordered))
    for arm in ordered:
        if point < arm.weight:
            return arm
        point -= arm.weight
    raise AssertionError("unreachable: the point lies below the total weight")


def assign_arm(situation: Situation, thread_key: str) -> ExperimentArm | None:
    """The arm of the running experiment that covers ``situation``, if any."""
    running = Experiment.objects.filter(status=Experiment.Status.RUNNING).prefetch_related(
        "arms__workflow_version__workflow"
    )
    for experiment in running:
        if Scope.of(experiment).covers(situation):
            arms = [arm for arm in experiment.arms.all() if arm.active]
            return pick_arm(experiment.id, thread_key, arms) if arms else None
    return None


@transaction.atomic
def experiment_promote_workflow(
    *, experiment: Experiment, arm: ExperimentArm, user, previous_engine_id: str
) -> Experiment:
    """Makes the arm's workflow version live and finishes the experiment.

    A draft version is published; a published one that is not live is published again
    as a copy (the workflow's own rollback). The live version it replaces and
    ``previous_engine_id`` are kept for ``experiment_rollback_workflow``.
    """
    experiment = _locked(
        experiment, (Experiment.Status.RUNNING, Experiment.Status.PAUSED), "promoted"
    )
    version = arm.workflow_version
    previous = version.workflow.live_version
    note = f"Champion of experiment {experiment.slug} (arm {arm.key})."
    if version.status == WorkflowVersion.Status.DRAFT:
        workflow_publish(version=version, user=user, note=note)
    elif previous is None or previous.id != version.id:
        workflow_rollback(version=version, user=user, note=note)
    experiment.status = Experiment.Status.FINISHED
    experiment.status_reason = f"Arm {arm.key} promoted."
    experiment.finished_at = now()
    experiment.champion = arm
    experiment.previous_live_version = previous
    experiment.previous_engine_id = previous_engine_id
    experiment._history_user = user
    experiment.save()
    return experiment


@transaction.atomic
def experiment_rollback_workflow(*, experiment: Experiment, user) -> Experiment:
    """Makes the version that was live before the promotion live again."""
    experiment = Experiment.objects.select_for_update().get(id=experiment.id)
    if experiment.champion is None or experiment.rolled_back_at is not None:
        raise StateConflict({"status": ["Only a promoted experiment can be rolled back, once."]})
    previous = experiment.previous_live_version
    if previous is not None and previous.workflow.live_version_id != previous.id:
        workflow_rollback(
            version=previous,
            user=user,
            note=f"Rollback of experiment {experiment.slug}'s promotion.",
        )
    experiment.rolled_back_at = now()
    experiment.status_reason = f"Promotion of arm {experiment.champion.key} rolled back."
    experiment._history_user = user
    experiment.save()
    return experiment


@transaction.atomic
def experiment_finish(
    *, experiment: Experiment, reason: str = "Finished without promotion."
) -> Experiment:
    experiment = _locked(
        experiment, (Experiment.Status.RUNNING, Experiment.Status.PAUSED), "finished"
    )
    experiment.status = Experiment.Status.FINISHED
    experiment.status_reason = reason
    experiment.finished_at = now()
    experiment.save()
    return experiment
