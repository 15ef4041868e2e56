"""The GPU page's grace chart, from what the policy reads of a build's history."""

from engines.gpu.policy import Policy, View, read_grace
from prospects.builds.gpu_chart import duration, grace_chart

POLICY = Policy(hourly_price=3.44, boot_seconds=180, items_per_second=1 / 20)


def batches_every_half_hour(slots: int = 16) -> tuple[float, ...]:
    return tuple(slot * 1800.0 + 9 * (slot % 3) + job for slot in range(slots) for job in range(3))


def test_work_on_a_clock_is_drawn_as_foreseen_pauses_and_the_pause_expected_next():
    arrivals = batches_every_half_hour()
    reading = read_grace(View(now=arrivals[-1] + 120, backlog_items=0, arrivals=arrivals), POLICY)
    chart = grace_chart(reading)

    kinds = [bar.kind for bar in chart.bars]
    assert kinds[-1] == "expected"
    assert kinds.count("foreseen") >= 10
    assert "Work comes every 30 min (" in chart.expects
    assert "a machine is started to be ready by then" in chart.expects
    assert chart.why.startswith(f"It holds {duration(reading.grace_seconds)} after the last work")


def test_pauses_past_the_grace_are_drawn_as_released_and_nothing_is_expected():
    # Irregular pauses of minutes, hours apart now and then: nothing on a clock.
    gaps = (300, 7000, 420, 11000, 260, 5200, 380, 9100, 310, 6600)
    arrivals = tuple(sum(gaps[:index]) for index in range(len(gaps) + 1))
    chart = grace_chart(
        read_grace(View(now=arrivals[-1] + 5, backlog_items=0, arrivals=arrivals), POLICY)
    )

    assert {bar.kind for bar in chart.bars} == {"held", "released"}
    assert chart.expects == "Its work does not come on a clock: nothing is booted ahead."
    # Higher bars are longer pauses: the scale runs upwards.
    held = min(bar.y for bar in chart.bars if bar.kind == "held")
    released = min(bar.y for bar in chart.bars if bar.kind == "released")
    assert released < chart.grace_y <= held  # a pause as long as the grace is held through


def test_a_fixed_grace_and_an_empty_history_say_so():
    fixed = Policy(hourly_price=3.44, boot_seconds=180, idle_grace_seconds=600)
    assert grace_chart(read_grace(View(now=0, backlog_items=0), fixed)).why == (
        "An admin fixed the grace at 10 min."
    )
    new = grace_chart(read_grace(View(now=10, backlog_items=0, arrivals=(5.0,)), POLICY))
    assert new.bars == []
    assert new.why.startswith("No pause seen yet")


def test_durations_read_the_way_people_say_them():
    assert [duration(seconds) for seconds in (45, 720, 12_600, 172_800)] == [
        "45 s",
        "12 min",
        "3.5 h",
        "2.0 d",
    ]
