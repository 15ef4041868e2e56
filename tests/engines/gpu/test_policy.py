"""The GPU policy on its own: pure decisions from a view of one build."""

import pytest

from engines.gpu.policy import (
    Action,
    Instance,
    Policy,
    Reason,
    View,
    idle_gaps,
    idle_grace,
    plan,
)

POLICY = Policy(hourly_price=3.44, boot_seconds=180, minimum_billed_seconds=60)
FIXED = Policy(hourly_price=3.44, boot_seconds=180, idle_grace_seconds=180)


def ready(live_since=0.0, last_activity=None, id="gpu-1"):
    return Instance(id=id, live_since=live_since, ready=True, last_activity=last_activity)


def arrivals_every(gap: float, count: int = 20) -> tuple[float, ...]:
    return tuple(index * gap for index in range(count))


def test_break_even_is_the_billed_boot_rounded_to_the_billing_granularity():
    assert Policy(hourly_price=1, boot_seconds=180).break_even_seconds == 180
    assert (
        Policy(hourly_price=1, boot_seconds=30, minimum_billed_seconds=60).break_even_seconds == 60
    )
    hourly = Policy(hourly_price=1, boot_seconds=200, billing_granularity_seconds=3600)
    assert hourly.break_even_seconds == 3600


def test_work_waiting_with_nothing_up_provisions_one():
    result = plan(View(now=100, backlog_items=3), POLICY)
    assert [(step.action, step.reason) for step in result.steps] == [
        (Action.PROVISION, Reason.WORK_WAITING)
    ]


def test_nothing_waiting_and_nothing_up_does_nothing():
    assert plan(View(now=100, backlog_items=0), POLICY).steps == ()


def test_a_busy_instance_is_held_however_long_it_has_been_up():
    view = View(now=10_000, backlog_items=4, instances=(ready(live_since=0, last_activity=0),))
    assert plan(view, POLICY).steps == ()


def test_activity_at_time_zero_counts_as_activity():
    instance = Instance(id="a", live_since=-500, ready=True, last_activity=0.0)
    assert plan(View(now=10, backlog_items=0, instances=(instance,)), FIXED).steps == ()


def test_an_idle_instance_is_released_once_the_grace_has_passed():
    instance = ready(live_since=0, last_activity=1000)
    grace = FIXED.idle_grace_seconds
    held = plan(View(now=1000 + grace - 1, backlog_items=0, instances=(instance,)), FIXED)
    released = plan(View(now=1000 + grace, backlog_items=0, instances=(instance,)), FIXED)
    assert held.steps == ()
    assert [(step.action, step.reason) for step in released.steps] == [
        (Action.RELEASE, Reason.IDLE)
    ]


def test_before_any_pause_the_grace_is_what_a_cold_start_of_the_work_just_served_costs():
    assert idle_grace(POLICY, ()) == 0
    assert idle_grace(POLICY, (500.0,)) == POLICY.cold_break_even_seconds
    burst = tuple(500.0 + second for second in range(10))  # ten leads would wait the boot
    assert idle_grace(POLICY, burst) > 5 * POLICY.cold_break_even_seconds


def test_a_campaign_does_not_crowd_the_pauses_out_of_the_window():
    # Pauses of four minutes, then a campaign of 500 messages faster than they are drafted,
    # then one straggler: the campaign is one busy period, not 500 tiny pauses.
    quiet = [index * 240.0 for index in range(30)]
    campaign = [quiet[-1] + 240 + index * 0.5 for index in range(500)]
    history = (*quiet, *campaign, campaign[-1] + 7200)
    assert idle_gaps(history, POLICY)[:-2] == [239.0] * 29
    assert idle_grace(POLICY, history) >= 239


def test_traffic_a_boot_apart_holds_past_its_longest_gap_up_to_the_cold_break_even():
    # A cold start after any gap makes one lead wait a boot: the next comes after it.
    assert idle_grace(POLICY, arrivals_every(200)) == POLICY.cold_break_even_seconds


def test_jobs_queued_behind_a_cold_start_wait_too():
    # A job a minute: a boot's three minutes delay the next leads as well, and more so
    # when each job takes longer.
    quick = Policy(hourly_price=3.44, boot_seconds=180, items_per_second=10)
    slow = Policy(hourly_price=3.44, boot_seconds=180, items_per_second=1 / 30)
    steady = arrivals_every(60)
    assert quick.cold_break_even_seconds < idle_grace(quick, steady) < idle_grace(slow, steady)


def test_sparse_traffic_releases_at_once():
    # Hours between arrivals: any wait is wasted money, a re-provision is cheaper.
    assert idle_grace(POLICY, arrivals_every(4 * 3600)) == 0


def test_bursty_traffic_holds_just_through_its_usual_pause():
    # Pauses of 89 s inside bursts (90 s apart, a second to draft each), hours between.
    arrivals, moment = [], 0.0
    for _ in range(6):
        for _ in range(5):
            arrivals.append(moment)
            moment += 90
        moment += 3 * 3600
    assert idle_grace(POLICY, arrivals) == 89


def test_a_fixed_grace_overrides_the_adaptive_one():
    fixed = Policy(hourly_price=1, boot_seconds=180, idle_grace_seconds=600)
    assert idle_grace(fixed, arrivals_every(4 * 3600)) == 600


def test_the_budget_cap_releases_everything_and_provisions_nothing():
    view = View(
        now=50,
        backlog_items=500,
        instances=(ready(id="a"), ready(id="b")),
        spent_today=POLICY.daily_budget,
    )
    result = plan(view, POLICY)
    assert {(step.action, step.reason, step.instance_id) for step in result.steps} == {
        (Action.RELEASE, Reason.BUDGET, "a"),
        (Action.RELEASE, Reason.BUDGET, "b"),
    }


def test_hold_warm_provisions_and_keeps_an_idle_instance():
    provisioned = plan(View(now=0, backlog_items=0, hold_warm_until=600), POLICY)
    kept = plan(
        View(now=500, backlog_items=0, instances=(ready(last_activity=0),), hold_warm_until=600),
        POLICY,
    )
    assert [step.reason for step in provisioned.steps] == [Reason.HOLD_WARM]
    assert kept.steps == ()


def test_max_lifetime_recycles_between_jobs_never_during_one():
    old = ready(live_since=0, last_activity=POLICY.max_lifetime_seconds)
    idle = View(now=POLICY.max_lifetime_seconds, backlog_items=0, instances=(old,))
    busy = View(now=POLICY.max_lifetime_seconds, backlog_items=1, instances=(old,))
    assert [step.reason for step in plan(idle, POLICY).releases()] == [Reason.LIFETIME]
    assert plan(busy, POLICY).releases() == []


def test_a_recycled_instance_the_grace_still_holds_is_replaced_at_once():
    moment = POLICY.max_lifetime_seconds
    old = ready(live_since=0, last_activity=moment - 30)
    steady = arrivals_every(60, 40)
    recycled = plan(View(now=moment, backlog_items=0, instances=(old,), arrivals=steady), POLICY)
    assert [(step.action, step.reason) for step in recycled.steps] == [
        (Action.RELEASE, Reason.LIFETIME),
        (Action.PROVISION, Reason.RECYCLED),
    ]
    sparse = arrivals_every(4 * 3600, 5)
    let_go = plan(View(now=moment, backlog_items=0, instances=(old,), arrivals=sparse), POLICY)
    assert [step.action for step in let_go.steps] == [Action.RELEASE]


@pytest.mark.parametrize(
    ("backlog", "expected"),
    [(10, 0), (200, 1), (100_000, 2)],
)
def test_scale_out_only_when_draining_would_outlast_a_boot(backlog, expected):
    policy = Policy(
        hourly_price=1, boot_seconds=180, max_instances=3, items_per_second=1, deep_backlog_items=50
    )
    view = View(now=10, backlog_items=backlog, instances=(ready(),))
    assert plan(view, policy).provisions == expected


def test_after_a_failed_boot_the_next_provision_waits_for_the_cooldown():
    cooling = View(now=100, backlog_items=5, last_failure_at=50)
    cooled = View(now=50 + POLICY.failure_cooldown_seconds, backlog_items=5, last_failure_at=50)
    assert plan(cooling, POLICY).provisions == 0
    assert plan(cooled, POLICY).provisions == 1


HOURLY = Policy(
    hourly_price=3.44,
    boot_seconds=180,
    billing_granularity_seconds=3600,
    minimum_billed_seconds=3600,
    idle_grace_seconds=0,
)


def test_under_hourly_billing_an_idle_instance_is_kept_until_just_before_the_next_hour():
    instance = ready(live_since=0, last_activity=600)
    paid_hour_left = plan(View(now=1200, backlog_items=0, instances=(instance,)), HOURLY)
    hour_about_to_start = plan(
        View(now=3600 - HOURLY.release_margin_seconds, backlog_items=0, instances=(instance,)),
        HOURLY,
    )
    assert paid_hour_left.steps == ()
    assert [step.reason for step in hour_about_to_start.releases()] == [Reason.IDLE]


def test_under_hourly_billing_an_instance_busy_into_its_second_hour_is_kept_to_its_end():
    instance = ready(live_since=0, last_activity=3700)
    assert plan(View(now=4000, backlog_items=0, instances=(instance,)), HOURLY).steps == ()
    released = plan(View(now=7180, backlog_items=0, instances=(instance,)), HOURLY)
    assert [step.reason for step in released.releases()] == [Reason.IDLE]


def test_under_per_second_billing_the_grace_alone_decides():
    per_second = Policy(
        hourly_price=3.44, boot_seconds=180, minimum_billed_seconds=60, idle_grace_seconds=0
    )
    instance = ready(live_since=0, last_activity=1200)
    released = plan(View(now=1205, backlog_items=0, instances=(instance,)), per_second)
    assert [step.reason for step in released.releases()] == [Reason.IDLE]


def test_a_waiting_burst_makes_holding_through_long_pauses_pay():
    # Bursts of ten jobs, 40 minutes apart: a cold start makes ten leads wait a boot.
    arrivals = [burst * 2400 + job * 5 for burst in range(5) for job in range(10)]
    assert idle_grace(POLICY, arrivals) >= 2400 - 45
    free_waiting = Policy(hourly_price=3.44, boot_seconds=180, wait_value_per_hour=0)
    assert idle_grace(free_waiting, arrivals) < 2400 - 45
