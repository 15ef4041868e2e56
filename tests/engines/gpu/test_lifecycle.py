"""The GPU lifecycle against pydo talking HTTP to a local DigitalOcean API, on a stopped
clock that each test moves on."""

from datetime import timedelta

import yaml

from core.clock import now
from engines.gpu.lifecycle import (
    BuildLoad,
    install_tag,
    lifecycle_tick,
    policy_for,
    policy_settings,
    provision_blocker,
)
from engines.gpu.policy import Reason, idle_grace
from engines.gpu.services import gpu_hold_warm, gpu_policy_update, gpu_release_now
from engines.models import ModelCall
from engines.models.gpu import GpuInstance, GpuTransition
from engines.registry import endpoint_for
from engines.selectors import engine_ready
from tests.support.concurrency import run_concurrently
from tests.support.factories import DO_BUILD

State = GpuInstance.State
WORK = {DO_BUILD: BuildLoad(items=5)}
IDLE = {DO_BUILD: BuildLoad(items=0)}


def after_steady_work() -> tuple[dict, float]:
    """An idle load whose work came about every five minutes lately (not on a clock, which
    would be booted for instead), and the grace it earns."""
    gaps = (4.3, 6.1, 5.2, 3.7, 5.9, 4.8, 6.4, 3.9, 5.5, 4.6, 5.1)
    history = tuple(now() - timedelta(minutes=sum(gaps[index:])) for index in range(len(gaps)))
    grace = idle_grace(policy_for(DO_BUILD), [moment.timestamp() for moment in history])
    return {DO_BUILD: BuildLoad(items=0, arrivals=history)}, grace


def only_instance() -> GpuInstance:
    return GpuInstance.objects.get()


def boot(clock, fake_do) -> GpuInstance:
    """Provision on work, let the droplet come up, and let the model server answer."""
    lifecycle_tick(loads=WORK)
    clock.shift(fake_do.boot_seconds + 1)
    lifecycle_tick(loads=WORK)  # droplet active: booting
    lifecycle_tick(loads=WORK)  # model server healthy: ready
    return only_instance()


def test_work_waiting_provisions_one_tagged_droplet_with_cloud_init(do_build, fake_do):
    report = lifecycle_tick(loads=WORK)

    instance = only_instance()
    assert report.provisioned == [DO_BUILD]
    assert instance.state == State.PROVISIONING
    [droplet] = fake_do.droplets.values()
    assert instance.droplet_id == droplet["id"]
    assert set(droplet["tags"]) == {
        install_tag(),
        "prospector-build:do-gpu-mistral-nemo-12b_2026-06-29-1",
        instance.tag,
    }
    [create] = [call for call in fake_do.requests if call.method == "POST"]
    user_data = create.body["user_data"]
    assert user_data.startswith("#cloud-config")
    assert "/mnt/weights/nemo" in yaml.safe_dump(yaml.safe_load(user_data))


def test_a_droplet_boots_to_ready_and_then_serves_the_build(do_build, fake_do, clock, gpu_box):
    assert not engine_ready(DO_BUILD)

    instance = boot(clock, fake_do)

    assert instance.state == State.READY
    assert instance.endpoint_url == f"http://127.0.0.1:{gpu_box.server_address[1]}"
    assert endpoint_for(DO_BUILD).url == instance.endpoint_url
    assert engine_ready(DO_BUILD)
    assert list(instance.transitions.order_by("at", "id").values_list("to_state", flat=True)) == [
        State.PROVISIONING,
        State.BOOTING,
        State.READY,
    ]


def test_a_busy_instance_is_held_across_ticks(do_build, fake_do, clock):
    boot(clock, fake_do)
    for _ in range(5):
        clock.shift(3600)
        lifecycle_tick(loads=WORK)
    assert only_instance().state == State.READY
    assert len(fake_do.droplets) == 1


def test_an_idle_instance_is_released_after_the_grace_and_its_droplet_destroyed(
    do_build, fake_do, clock
):
    instance = boot(clock, fake_do)
    idle, grace = after_steady_work()
    assert grace >= 300  # it holds through a usual pause
    clock.shift(grace - 1)
    lifecycle_tick(loads=idle)
    assert only_instance().state == State.READY

    clock.shift(2)  # the grace is a float; stored times keep microseconds
    report = lifecycle_tick(loads=idle)

    instance.refresh_from_db()
    assert report.released == [DO_BUILD]
    assert instance.state == State.OFF
    assert instance.billed_until == now()
    assert fake_do.droplets == {}
    assert instance.transitions.filter(to_state=State.RELEASING, reason=Reason.IDLE).exists()
    assert endpoint_for(DO_BUILD) is None


def test_the_idle_clock_reads_the_inference_activity(do_build, fake_do, clock):
    instance = boot(clock, fake_do)
    idle, grace = after_steady_work()
    clock.shift(grace - 10)
    ModelCall.objects.create(
        endpoint=instance.endpoint_url,
        task="prospect.draft",
        model="fixed",
        started_at=now(),
        outcome="ok",
    )
    clock.shift(grace - 10)  # past the grace since ready, within it since the last call
    lifecycle_tick(loads=idle)
    assert only_instance().state == State.READY


def test_with_no_history_an_idle_instance_goes_once_its_paid_minute_is_out(
    do_build, fake_do, clock
):
    boot(clock, fake_do)  # it has lived past the 60 s minimum
    report = lifecycle_tick(loads=IDLE)
    assert report.released == [DO_BUILD]


def test_a_droplet_that_never_boots_is_destroyed_and_the_instance_failed(do_build, fake_do, clock):
    gpu_policy_update(user=None, boot_timeout_seconds=600)
    fake_do.never_active(install_tag())
    lifecycle_tick(loads=WORK)
    clock.shift(601)

    lifecycle_tick(loads=WORK)
    lifecycle_tick(loads=WORK)

    instance = GpuInstance.objects.order_by("created_at").first()
    assert instance.state == State.FAILED
    assert instance.transitions.filter(reason=Reason.BOOT_TIMEOUT).exists()
    assert fake_do.droplets == {}
    # No new droplet straight after a failure: the cooldown spares a crash loop.
    assert GpuInstance.objects.count() == 1


def test_a_droplet_deleted_behind_our_back_fails_the_instance_and_work_provisions_anew(
    do_build, fake_do, clock
):
    instance = boot(clock, fake_do)
    fake_do.delete_behind_back(instance.droplet_id)

    lifecycle_tick(loads=WORK)

    instance.refresh_from_db()
    assert instance.state == State.FAILED
    assert instance.transitions.filter(reason=Reason.VANISHED).exists()
    clock.shift(121)
    lifecycle_tick(loads=WORK)
    assert GpuInstance.objects.filter(state=State.PROVISIONING).count() == 1


def test_the_reconciler_destroys_only_droplets_provably_ours(do_build, fake_do, settings):
    ours = install_tag()
    assert ours == f"prospector-{policy_settings().install_id.hex[:12]}"
    orphan = fake_do.seed(name="prospector-gpu-0badf00d", size="s", image="i", tags=[ours])
    strangers = [
        fake_do.seed(name="not-ours", size="s", image="i", tags=["web"]),
        # The generic tag an older install (or a person) used: not this install's.
        fake_do.seed(name="prospector-gpu-12345678", size="s", image="i", tags=["prospector"]),
        # This install's tag put by hand on someone's droplet: not our name, so not ours.
        fake_do.seed(name="team-database", size="s", image="i", tags=[ours]),
    ]

    report = lifecycle_tick(loads=IDLE)

    assert report.orphans_destroyed == [orphan["id"]]
    assert set(fake_do.droplets) == {str(stranger["id"]) for stranger in strangers}
    settings.DO_TAG = "prospector-staging"
    assert install_tag() == "prospector-staging"


def test_a_size_without_a_price_is_never_provisioned_and_says_why(do_build, fake_do):
    gpu_policy_update(user=None, hourly_prices={})

    report = lifecycle_tick(loads=WORK)

    assert GpuInstance.objects.count() == 0
    assert fake_do.droplets == {}
    assert (
        "gpu-h100x1-80gb in nyc2: No hourly price is set for gpu-h100x1-80gb."
        in (report.waiting[DO_BUILD])
    )
    assert provision_blocker() == report.waiting[DO_BUILD]
    gpu_policy_update(user=None, hourly_prices={"gpu-h100x1-80gb": 3.39})
    lifecycle_tick(loads=WORK)
    assert GpuInstance.objects.count() == 1


def test_a_rate_limited_api_is_waited_out_and_the_tick_goes_on(do_build, fake_do):
    fake_do.fail_next(429, method="GET")

    report = lifecycle_tick(loads=WORK)

    assert report.errors == []
    assert only_instance().droplet_id is not None
    assert [call.status for call in fake_do.requests[:2]] == [429, 200]


def test_a_create_whose_answer_is_lost_is_adopted_not_repeated(do_build, fake_do, clock):
    fake_do.fail_next(500, apply=True, method="POST")

    first = lifecycle_tick(loads=WORK)
    assert first.errors
    assert only_instance().droplet_id is None

    lifecycle_tick(loads=WORK)

    assert len(fake_do.droplets) == 1
    assert str(only_instance().droplet_id) == next(iter(fake_do.droplets))


def test_server_errors_never_leave_the_state_machine_stuck(do_build, fake_do, clock):
    instance = boot(clock, fake_do)
    clock.shift(policy_for(DO_BUILD).break_even_seconds)
    fake_do.fail_next(503, count=10)

    stuck = lifecycle_tick(loads=IDLE)
    lifecycle_tick(loads=IDLE)

    instance.refresh_from_db()
    assert stuck.errors
    assert instance.state == State.OFF
    assert fake_do.droplets == {}


def test_the_daily_budget_releases_at_once(do_build, fake_do, clock):
    boot(clock, fake_do)
    gpu_policy_update(user=None, daily_budget_usd=1)
    clock.shift(3600)  # 3.39 USD billed, the cap is 1

    lifecycle_tick(loads=WORK)

    assert only_instance().state == State.OFF
    assert only_instance().transitions.filter(reason=Reason.BUDGET).exists()
    lifecycle_tick(loads=WORK)
    assert GpuInstance.objects.count() == 1


def test_hold_warm_brings_one_up_and_release_now_takes_it_down(
    do_build, fake_do, clock, admin_user
):
    gpu_hold_warm(engine_id=DO_BUILD, minutes=30, user=admin_user)
    lifecycle_tick(loads={})
    clock.shift(61)
    lifecycle_tick(loads={})
    lifecycle_tick(loads={})
    clock.shift(20 * 60)
    lifecycle_tick(loads={})
    assert only_instance().state == State.READY

    assert gpu_release_now(engine_id=DO_BUILD, user=admin_user) == 1
    lifecycle_tick(loads={})

    assert only_instance().state == State.OFF
    assert fake_do.droplets == {}
    assert only_instance().transitions.filter(reason=Reason.ADMIN).exists()


def test_racing_ticks_provision_exactly_one_droplet(transactional_db, fake_do, gpu_box):
    from engines.services import engine_build_register

    engine_build_register(engine_id=DO_BUILD, served_model="fixed", model_path="/mnt/w")
    gpu_policy_update(user=None, hourly_prices={"gpu-h100x1-80gb": 3.39})

    results, errors = run_concurrently(lambda: lifecycle_tick(loads=WORK), 6)

    assert errors == []
    assert len(fake_do.droplets) == 1
    assert GpuInstance.objects.count() == 1
    assert sum(result is not None for result in results) >= 1


def test_every_transition_is_recorded_with_time_and_reason(do_build, fake_do, clock):
    boot(clock, fake_do)
    clock.shift(timedelta(hours=1))
    lifecycle_tick(loads=IDLE)
    lifecycle_tick(loads=IDLE)
    steps = list(GpuTransition.objects.order_by("at", "id").values_list("to_state", "reason"))
    assert steps == [
        (State.PROVISIONING, Reason.WORK_WAITING),
        (State.BOOTING, "droplet_active"),
        (State.READY, "model_server_healthy"),
        (State.RELEASING, Reason.IDLE),
        (State.OFF, "destroyed"),
    ]


def test_the_weights_volume_is_attached_by_id_and_mounted_by_name(do_build, fake_do, settings):
    settings.DO_WEIGHTS_VOLUME = "nemo-weights"
    settings.DO_WEIGHTS_VOLUME_ID = "506f78a4-e098-11e5-ad9f-000f53306ae1"

    lifecycle_tick(loads=WORK)

    [create] = [call for call in fake_do.requests if call.method == "POST"]
    assert create.body["volumes"] == ["506f78a4-e098-11e5-ad9f-000f53306ae1"]
    assert "scsi-0DO_Volume_nemo-weights" in create.body["user_data"]
