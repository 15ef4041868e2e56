"""Where a GPU machine is rented: the policy's ordered placements (a size in a region),
which of them may be tried, and the create that falls over to the next when DigitalOcean
has no capacity (``docs/operations.md``, "Placements and capacity failover")."""

from django.conf import settings

from engines.gpu.providers import GpuProvider, Machine, NoCapacity, ProviderError
from engines.models.gpu import GpuInstance, GpuPolicySettings, price_problem


def placement_blocker(knobs: GpuPolicySettings, placement: dict) -> str:
    """Why a placement is passed over without asking DigitalOcean ("" when it may be
    tried). Fails closed on price: without one, spend cannot be counted against the daily
    budget. The weights volume and the app's VPC live in DO_REGION, and DigitalOcean
    attaches a volume and joins a VPC only within their own region."""
    size, region = placement["size_slug"], placement["region"]
    if price_problem(knobs.hourly_prices.get(size)):
        return f"No hourly price is set for {size}"
    if region != settings.DO_REGION and settings.DO_WEIGHTS_VOLUME_ID:
        return f"The weights volume is in {settings.DO_REGION}"
    if region != settings.DO_REGION and settings.DO_VPC_UUID:
        return f"The app's VPC is in {settings.DO_REGION}"
    return ""


def first_placement(knobs: GpuPolicySettings) -> dict | None:
    """The placement a machine is rented in when DigitalOcean has capacity there: what the
    policy plans with. None when no placement may be tried."""
    return next(
        (placement for placement in knobs.placements if not placement_blocker(knobs, placement)),
        None,
    )


def planning_size(knobs: GpuPolicySettings) -> str:
    """The size the policy plans and the page bills with: the first placement that may be
    tried, else the first listed (so the page still says which rule applies)."""
    placement = first_placement(knobs) or next(iter(knobs.placements), None)
    return placement["size_slug"] if placement else ""


def create_in_a_placement(
    instance: GpuInstance, provider: GpuProvider, knobs: GpuPolicySettings, **create
) -> Machine:
    """The machine, from the first placement that can be used and where DigitalOcean has
    capacity. The row names each placement's size, region and price before it is asked for,
    so a create whose answer is lost is adopted and billed as what it is. Any other error
    stops here (a transient one is tried again from the top next tick, as the create may
    have happened); none to be had anywhere is a permanent error naming every placement."""
    passed = []
    for placement in knobs.placements:
        size, region = placement["size_slug"], placement["region"]
        reason = placement_blocker(knobs, placement)
        if not reason:
            GpuInstance.objects.filter(id=instance.id).update(
                size_slug=size,
                region=region,
                hourly_price=float(knobs.hourly_prices[size]),
                billing_rule=knobs.billing_rule(size),
                placements_passed=passed,
            )
            try:
                return provider.create(size=size, region=region, **create)
            except NoCapacity as error:
                reason = f"No capacity ({error})"
        passed.append({"size_slug": size, "region": region, "reason": reason})
    GpuInstance.objects.filter(id=instance.id).update(placements_passed=passed)
    raise ProviderError(f"No capacity in any placement. {describe_passed(passed)}", permanent=True)


def describe_passed(passed: list[dict]) -> str:
    """Each placement passed over and why, as the GPU page and the instance's error show it."""
    return " ".join(f"{p['size_slug']} in {p['region']}: {p['reason']}." for p in passed)
