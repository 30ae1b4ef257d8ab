"""Working days in England and Wales: Monday to Friday, less bank holidays (`holidays`)."""

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start): a referral
    made on Friday and looked at on Monday has waited 1 working day."""
    if end <= start:
        return 0
    # Weekdays counted arithmetically, less the bank holidays on weekdays in between: a
    # fixed cost per year spanned rather than per day (an inbox of 50 referrals waiting
    # months spent most of its time here).
    holidays_between = sum(
        1
        for year in range(start.year, end.year + 1)
        for day in bank_holidays(year)
        if start < day <= end and day.weekday() < 5
    )
    return _weekdays_through(end) - _weekdays_through(start) - holidays_between


def _weekdays_through(day: date) -> int:
    """Mondays to Fridays from 1 January of year 1 (a Monday) up to and including `day`."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def add_working_days(start: date, n: int) -> date:
    day = start
    while n > 0:
        day += timedelta(days=1)
        n -= is_working_day(day)
    return day


def working_days_cutoff(today: date, n: int) -> date:
    """The latest day d with `working_days_between(d, today) >= n`: anything due (or made) on
    or before it has waited at least n working days by `today`."""
    day = today
    counted = 0
    while counted < n:
        counted += is_working_day(day)
        day -= timedelta(days=1)
    return day


def previous_working_day(day: date) -> date:
    day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day
