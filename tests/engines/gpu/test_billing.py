"""Billing rules: what a size is charged for a lifetime, and what an admin may write."""

from datetime import UTC, datetime, timedelta

import pytest

from engines.billing import DEFAULT_RULE, Billing, billing_for, rule_errors
from engines.gpu.costs import instance_cost, today_start
from engines.models.gpu import GpuInstance


def test_per_second_bills_every_started_second_and_at_least_the_minimum():
    billing = billing_for(DEFAULT_RULE)
    assert billing.billed(12.2) == 60
    assert billing.billed(180.4) == 181


def test_per_started_hour_bills_whole_hours():
    billing = billing_for({"rule": "per_started_hour"})
    assert billing.billed(10) == 3600
    assert billing.billed(3601) == 7200


def test_paid_until_is_the_end_of_the_started_unit():
    assert Billing(3600, 3600).paid_until(live_since=100, now=4000) == 7300


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        ({"rule": "per_minute"}, "rule must be one of per_second, per_started_hour"),
        ({"rule": "per_second", "minimum_seconds": -5}, "minimum_seconds must be a number"),
        ({"rule": "per_started_hour", "minimum_seconds": 60}, "unknown key 'minimum_seconds'"),
        ("hourly", "must be an object"),
    ],
)
def test_a_malformed_rule_is_named(rule, error):
    assert any(message.startswith(error) for message in rule_errors(rule))


def test_the_default_rule_is_valid():
    assert rule_errors(DEFAULT_RULE) == []


@pytest.mark.parametrize(
    ("rule", "expected_usd"),
    [(DEFAULT_RULE, 60 / 3600 * 3.6), ({"rule": "per_started_hour"}, 3.6)],
)
def test_the_cost_ledger_bills_the_rule_the_instance_was_rented_under(db, rule, expected_usd):
    start = datetime(2026, 12, 1, 10, tzinfo=UTC)
    instance = GpuInstance.objects.create(
        engine_id="do-gpu-mistral-nemo-12b-uncensored_2026-06-29.1",
        size_slug="gpu-h100x1-80gb",
        hourly_price=3.6,
        billing_rule=rule,
        state=GpuInstance.State.OFF,
        state_changed_at=start,
        billed_from=start,
        billed_until=start + timedelta(seconds=20),
    )
    day = today_start(start)
    assert instance_cost(instance, day, day + timedelta(days=1)) == pytest.approx(expected_usd)
