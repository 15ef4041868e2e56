"""How a GPU size is billed: the rule an admin sets per size slug, and the arithmetic that
turns a droplet's lifetime into billed seconds. Pure, so the policy, the cost ledger and
the benchmark all bill the same way.

Two rules cover the providers we rent from:

- ``{"rule": "per_second", "minimum_seconds": 60}``: every started second, at least the
  minimum (DigitalOcean GPU droplets, https://docs.digitalocean.com/products/droplets/details/pricing/);
- ``{"rule": "per_started_hour"}``: every started hour is paid in full.
"""

import math
from dataclasses import dataclass
from enum import StrEnum

HOUR = 3600.0


class Rule(StrEnum):
    PER_SECOND = "per_second"
    PER_STARTED_HOUR = "per_started_hour"


DEFAULT_RULE = {"rule": Rule.PER_SECOND.value, "minimum_seconds": 60}


@dataclass(frozen=True)
class Billing:
    granularity_seconds: float = 1.0
    minimum_seconds: float = 0.0

    def billed(self, lifetime: float) -> float:
        """Seconds paid for an instance that lived ``lifetime`` seconds."""
        granularity = max(self.granularity_seconds, 1e-9)
        # The epsilon keeps float noise (179.99999999) from buying a whole extra unit.
        units = math.ceil(max(lifetime, 0.0) / granularity - 1e-9)
        return max(units * granularity, self.minimum_seconds)

    def paid_until(self, live_since: float, now: float) -> float:
        """When what is already paid for runs out: holding until then costs nothing more."""
        return live_since + self.billed(now - live_since)


def billing_for(rule: dict) -> Billing:
    """The billing a validated rule describes."""
    if rule["rule"] == Rule.PER_STARTED_HOUR:
        return Billing(granularity_seconds=HOUR, minimum_seconds=HOUR)
    return Billing(granularity_seconds=1.0, minimum_seconds=float(rule.get("minimum_seconds", 0)))


def rule_errors(rule: object) -> list[str]:
    """What is wrong with one size's rule, as sentences an admin can act on."""
    if not isinstance(rule, dict):
        return ['must be an object such as {"rule": "per_second", "minimum_seconds": 60}']
    name = rule.get("rule")
    if name not in set(Rule):
        return [f"rule must be one of {', '.join(Rule)}, not {name!r}"]
    allowed = {"rule", "minimum_seconds"} if name == Rule.PER_SECOND else {"rule"}
    errors = [f"unknown key {key!r} for {name}" for key in sorted(set(rule) - allowed)]
    minimum = rule.get("minimum_seconds", 0)
    if name == Rule.PER_SECOND and (
        isinstance(minimum, bool) or not isinstance(minimum, int | float) or minimum < 0
    ):
        errors.append("minimum_seconds must be a number of seconds, 0 or more")
    return errors


def describe(rule: dict) -> str:
    if rule["rule"] == Rule.PER_STARTED_HOUR:
        return "per started hour"
    return f"per second, {rule.get('minimum_seconds', 0):g} s minimum"
