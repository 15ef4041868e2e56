"""Capacity failover: the placements (size, region) tried in order, against pydo talking
HTTP to the local DigitalOcean API, on a stopped clock."""

from engines.gpu.lifecycle import BuildLoad, lifecycle_tick, provision_blocker
from engines.gpu.policy import Reason
from engines.gpu.services import gpu_policy_update
from engines.models.gpu import GpuInstance
from tests.support.factories import DO_BUILD

State = GpuInstance.State
WORK = {DO_BUILD: BuildLoad(items=5)}
H100, L40S = "gpu-h100x1-80gb", "gpu-l40sx1-48gb"
PRICES = {H100: 3.39, L40S: 1.57}
NO_CAPACITY = "No capacity (DigitalOcean answered 422: Size is not available in this region.)"


def placements(*pairs) -> list[dict]:
    return [{"size_slug": size, "region": region} for size, region in pairs]


def creates(fake_do) -> list[tuple[str, str, int]]:
    return [
        (call.body["size"], call.body["region"], call.status)
        for call in fake_do.requests
        if call.method == "POST"
    ]


def test_no_capacity_in_the_first_placement_rents_the_next(do_build, fake_do):
    gpu_policy_update(
        user=None, hourly_prices=PRICES, placements=placements((H100, "nyc2"), (L40S, "nyc2"))
    )
    fake_do.no_capacity(H100, "nyc2")

    report = lifecycle_tick(loads=WORK)

    instance = GpuInstance.objects.get()
    assert report.errors == []
    assert creates(fake_do) == [(H100, "nyc2", 422), (L40S, "nyc2", 202)]
    assert (instance.size_slug, instance.region, float(instance.hourly_price)) == (
        L40S,
        "nyc2",
        1.57,
    )
    assert instance.placements_passed == [
        {"size_slug": H100, "region": "nyc2", "reason": NO_CAPACITY}
    ]
    [droplet] = fake_do.droplets.values()
    assert (droplet["size_slug"], droplet["region"]["slug"]) == (L40S, "nyc2")
    assert instance.droplet_id == droplet["id"]


def test_no_capacity_anywhere_fails_with_the_reason_and_cools_down(do_build, fake_do, clock):
    gpu_policy_update(
        user=None, hourly_prices=PRICES, placements=placements((H100, "nyc2"), (L40S, "nyc2"))
    )
    fake_do.no_capacity(H100, "nyc2")
    fake_do.no_capacity(L40S, "nyc2")

    lifecycle_tick(loads=WORK)

    instance = GpuInstance.objects.get()
    assert instance.state == State.FAILED
    assert instance.billed_from is None  # nothing was rented, nothing is billed
    release = instance.transitions.get(to_state=State.RELEASING)
    assert release.reason == Reason.PROVIDER_ERROR
    assert release.detail == (
        f"No capacity in any placement. {H100} in nyc2: {NO_CAPACITY}. "
        f"{L40S} in nyc2: {NO_CAPACITY}."
    )
    assert fake_do.droplets == {}

    clock.shift(60)  # inside the failure cooldown: the work waits, no second try
    lifecycle_tick(loads=WORK)
    assert GpuInstance.objects.count() == 1

    clock.shift(120)  # the cooldown is out and capacity is back: the work waiting provisions
    fake_do.capacity_back(L40S, "nyc2")
    lifecycle_tick(loads=WORK)
    assert GpuInstance.objects.filter(state=State.PROVISIONING, size_slug=L40S).count() == 1


def test_a_placement_in_another_region_than_the_weights_volume_is_passed_over(
    do_build, fake_do, settings
):
    settings.DO_WEIGHTS_VOLUME = "nemo-weights"
    settings.DO_WEIGHTS_VOLUME_ID = "506f78a4-e098-11e5-ad9f-000f53306ae1"
    gpu_policy_update(
        user=None,
        hourly_prices=PRICES,
        placements=placements((H100, "nyc2"), (H100, "tor1"), (L40S, "nyc2")),
    )
    fake_do.no_capacity(H100, "nyc2")

    lifecycle_tick(loads=WORK)

    instance = GpuInstance.objects.get()
    assert creates(fake_do) == [(H100, "nyc2", 422), (L40S, "nyc2", 202)]
    assert instance.placements_passed == [
        {"size_slug": H100, "region": "nyc2", "reason": NO_CAPACITY},
        {"size_slug": H100, "region": "tor1", "reason": "The weights volume is in nyc2"},
    ]
    [create] = [call for call in fake_do.requests if call.status == 202]
    assert create.body["volumes"] == ["506f78a4-e098-11e5-ad9f-000f53306ae1"]


def test_with_no_volume_and_no_vpc_another_region_is_rented(do_build, fake_do, settings):
    settings.DO_VPC_UUID = ""
    settings.DROPLET_API_URL = "https://prospector.example.com"  # reached over the internet
    gpu_policy_update(
        user=None, hourly_prices=PRICES, placements=placements((H100, "nyc2"), (H100, "tor1"))
    )
    fake_do.no_capacity(H100, "nyc2")

    lifecycle_tick(loads=WORK)

    instance = GpuInstance.objects.get()
    assert creates(fake_do) == [(H100, "nyc2", 422), (H100, "tor1", 202)]
    assert (instance.size_slug, instance.region) == (H100, "tor1")


def test_a_placement_whose_size_has_no_price_is_passed_over_saying_why(do_build, fake_do):
    gpu_policy_update(
        user=None,
        hourly_prices={L40S: 1.57},
        placements=placements((H100, "nyc2"), (L40S, "nyc2")),
    )

    lifecycle_tick(loads=WORK)

    instance = GpuInstance.objects.get()
    assert creates(fake_do) == [(L40S, "nyc2", 202)]
    assert instance.placements_passed == [
        {"size_slug": H100, "region": "nyc2", "reason": f"No hourly price is set for {H100}"}
    ]


def test_with_no_placement_to_try_nothing_is_asked_for_and_the_page_says_why(
    do_build, fake_do, settings
):
    settings.DO_WEIGHTS_VOLUME_ID = "506f78a4-e098-11e5-ad9f-000f53306ae1"
    gpu_policy_update(user=None, hourly_prices={H100: 3.39}, placements=placements((H100, "tor1")))

    report = lifecycle_tick(loads=WORK)

    assert GpuInstance.objects.count() == 0
    assert creates(fake_do) == []
    assert report.waiting[DO_BUILD] == provision_blocker()
    assert f"{H100} in tor1: The weights volume is in nyc2." in provision_blocker()
