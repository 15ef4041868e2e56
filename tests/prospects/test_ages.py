from datetime import timedelta

import pytest
from django.utils import timezone

from prospects.templatetags.ages import age


@pytest.mark.parametrize(
    ("ago", "shown"),
    [
        (timedelta(seconds=0), "0s"),
        (timedelta(seconds=59), "59s"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=59, seconds=59), "59m"),
        (timedelta(hours=3, minutes=40), "3h"),
        (timedelta(days=2, hours=23), "2d"),
        (timedelta(days=400), "400d"),
    ],
)
def test_age_is_the_largest_whole_unit(ago, shown):
    assert age(timezone.now() - ago) == shown


def test_a_moment_in_the_future_and_no_moment():
    assert age(timezone.now() + timedelta(minutes=5)) == "0s"
    assert age(None) == "–"
