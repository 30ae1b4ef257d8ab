"""Wall-clock times on the nights the clocks change are read, not refused."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from core.forms import LocalDateTimeField


def field():
    return LocalDateTimeField(input_formats=["%Y-%m-%dT%H:%M"])


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-10-25T01:30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # twice: the first, BST
        ("2026-03-29T01:30", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),  # skipped: read as GMT
        ("2026-07-01T00:30", datetime(2026, 6, 30, 23, 30, tzinfo=UTC)),  # BST
        ("2026-12-01T09:15", datetime(2026, 12, 1, 9, 15, tzinfo=UTC)),  # GMT
    ],
)
def test_times_across_the_clock_changes(text, utc):
    # (compared in UTC: an ambiguous or skipped local time never equals another zone's)
    assert field().clean(text).astimezone(UTC) == utc


@pytest.mark.parametrize("text", ["2026-13-01T10:00", "next week", "25/10/2026 01:30"])
def test_bad_times_are_still_refused(text):
    with pytest.raises(ValidationError):
        field().clean(text)
