"""GPU spend from the instances' billed spans: one place for the arithmetic the panel, the
API and the budget cap share."""

from datetime import datetime, timedelta

from django.db.models import Q

from core.clock import now
from engines.billing import billing_for
from engines.models.gpu import GpuInstance

# DigitalOcean's list prices of GPU droplets, USD an hour, as read on 2026-12-05 from
# https://docs.digitalocean.com/products/droplets/details/pricing/ (page validated there on
# 28 May 2026). What the demo and the example env start with; check them before relying on
# them, since a size without a price is never provisioned.
DO_LIST_PRICES = {
    "gpu-h100x1-80gb": 3.39,
    "gpu-h100x8-640gb": 23.92,
    "gpu-l40sx1-48gb": 1.57,
    "gpu-mi300x1-192gb": 1.99,
    "gpu-mi300x8-1536gb": 15.92,
}


def today_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(moment: datetime) -> datetime:
    return today_start(moment).replace(day=1)


def billed_seconds(instance: GpuInstance, start: datetime, end: datetime) -> float:
    """Seconds of ``instance``'s billed span inside ``[start, end)``.

    The span runs from the create to the destroy, stretched to what the size's billing rule
    charges for it (the minimum, the rest of a started hour): money committed the moment
    the unit starts, so the budget cap counts it then."""
    if instance.billed_from is None:
        return 0.0
    lived = ((instance.billed_until or now()) - instance.billed_from).total_seconds()
    charged = billing_for(instance.billing_rule).billed(lived)
    span_end = instance.billed_from + timedelta(seconds=charged)
    overlap = min(span_end, end) - max(instance.billed_from, start)
    return max(overlap.total_seconds(), 0.0)


def instance_cost(instance: GpuInstance, start: datetime, end: datetime) -> float:
    return billed_seconds(instance, start, end) / 3600 * float(instance.hourly_price)


def instances_billed_between(start: datetime, end: datetime, engine_id: str | None = None):
    instances = GpuInstance.objects.filter(billed_from__lt=end).filter(
        Q(billed_until__isnull=True) | Q(billed_until__gt=start)
    )
    return instances.filter(engine_id=engine_id) if engine_id else instances


def spent_between(start: datetime, end: datetime, engine_id: str | None = None) -> float:
    """USD billed in ``[start, end)``, across builds or for one."""
    return sum(
        instance_cost(instance, start, end)
        for instance in instances_billed_between(start, end, engine_id)
    )
