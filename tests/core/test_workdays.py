from datetime import date

import pytest

from core.workdays import add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 11, 20), date(2026, 11, 23), 1),  # Friday -> Monday
        (date(2026, 11, 23), date(2026, 11, 23), 0),  # same day
        (date(2026, 11, 23), date(2026, 11, 20), 0),  # backwards
        (date(2026, 11, 16), date(2026, 11, 23), 5),  # a week
        # Christmas 2026: Fri 25 and the Boxing Day substitute Mon 28 are bank holidays
        (date(2026, 12, 24), date(2026, 12, 29), 1),
        (date(2027, 3, 25), date(2027, 3, 30), 1),  # Good Friday 26th, Easter Monday 29th
    ],
)
def test_working_days_between(start, end, expected):
    assert working_days_between(start, end) == expected


def test_bank_holidays_are_not_working_days():
    assert not is_working_day(date(2026, 12, 28))  # substitute Boxing Day
    assert not is_working_day(date(2026, 8, 31))  # summer bank holiday (England and Wales)
    assert is_working_day(date(2026, 11, 23))


def test_add_working_days_skips_weekends_and_holidays():
    assert add_working_days(date(2026, 12, 24), 2) == date(2026, 12, 30)
