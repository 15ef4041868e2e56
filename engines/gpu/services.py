from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from core.clock import now
from engines.gpu.lifecycle import policy_settings
from engines.gpu.policy import Reason
from engines.gpu.transitions import instance_transition
from engines.ids import InvalidEngineId, Provider, parse_engine_id
from engines.models import (
    GpuInstance,
    GpuOperatorAction,
    GpuPolicySettings,
)

MAX_HOLD_MINUTES = 24 * 60


def _require_gpu_build(engine_id: str) -> None:
    try:
        provider = parse_engine_id(engine_id).provider
    except InvalidEngineId as error:
        raise ValidationError({"engine_id": [str(error)]}) from error
    if provider != Provider.DO_GPU:
        raise ValidationError({"engine_id": ["Only do-gpu builds run on an on-demand GPU."]})


def gpu_hold_warm(*, engine_id: str, minutes: int, user) -> GpuOperatorAction:
    """Keeps (or brings) one instance of ``engine_id`` up for ``minutes``, whatever the idle
    grace says; the budget cap still wins."""
    _require_gpu_build(engine_id)
    if not 1 <= minutes <= MAX_HOLD_MINUTES:
        raise ValidationError({"minutes": [f"Hold for 1 to {MAX_HOLD_MINUTES} minutes."]})
    moment = now()
    return GpuOperatorAction.objects.create(
        engine_id=engine_id,
        kind=GpuOperatorAction.Kind.HOLD_WARM,
        until=moment + timedelta(minutes=minutes),
        by=user,
        at=moment,
    )


def gpu_release_now(*, engine_id: str, user) -> int:
    """Ends any hold and marks every running instance of ``engine_id`` for release; the
    next tick destroys them. Work still waiting provisions again. Returns how many."""
    _require_gpu_build(engine_id)
    moment = now()
    with transaction.atomic():
        GpuOperatorAction.objects.create(
            engine_id=engine_id, kind=GpuOperatorAction.Kind.RELEASE_NOW, by=user, at=moment
        )
        live = GpuInstance.objects.filter(
            engine_id=engine_id,
            state__in=[
                GpuInstance.State.PROVISIONING,
                GpuInstance.State.BOOTING,
                GpuInstance.State.READY,
            ],
        )
        released = 0
        for instance in live:
            released += instance_transition(
                instance, GpuInstance.State.RELEASING, Reason.ADMIN, f"by {user}"
            )
    return released


@transaction.atomic
def gpu_policy_update(*, user, **knobs) -> GpuPolicySettings:
    """Saves the admin's policy knobs (validated); the change is kept in the row's history."""
    row = policy_settings()
    for name, value in knobs.items():
        setattr(row, name, value)
    row._history_user = user
    row.full_clean()
    row.save()
    return row
