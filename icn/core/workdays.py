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
    days = 0
    day = start + timedelta(days=1)
    while day <= end:
        days += is_working_day(day)
        day += timedelta(days=1)
    return days


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
