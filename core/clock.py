"""The one clock: every "now" in the product comes from here, so tests can control time."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
