"""The one way a GPU instance changes state: a conditional update plus its timeline row."""

from django.db import transaction

from core.clock import now
from engines.models.gpu import GpuInstance, GpuTransition


def instance_transition(
    instance: GpuInstance, to_state: str, reason: str, detail: str = "", **fields
) -> bool:
    """Moves ``instance`` on from the state the caller saw, with its ``GpuTransition`` row
    in the same transaction. False when someone else moved it first (then nothing changes:
    the caller's view was stale). An instance that ends loses its credentials with it."""
    moment = now()
    if to_state not in GpuInstance.LIVE:
        fields = {**fields, **GpuInstance.CREDENTIALS_WIPED}
    with transaction.atomic():
        updated = GpuInstance.objects.filter(id=instance.id, state=instance.state).update(
            state=to_state, state_changed_at=moment, **fields
        )
        if updated != 1:
            return False
        GpuTransition.objects.create(
            instance=instance,
            from_state=instance.state,
            to_state=to_state,
            reason=reason,
            detail=detail[:2000],
            at=moment,
        )
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.state, instance.state_changed_at = to_state, moment
    return True
