"""Days for the synthetic data: months back, and a calendar of local midnights and working
days by table lookup."""

from __future__ import annotations

import calendar
import itertools
from datetime import date, datetime, timedelta

from core.workdays import is_working_day
from demo.synthetic.shape import DAY, LONDON


def month_back(day: date, months: int) -> date:
    """The same day `months` months earlier (later when negative), clamped to the month."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


class Calendar:
    """Days as indices from `first`: local midnight as a Unix time, working days, and the n-th
    working day after a day, by table lookup (a million referrals need it fast)."""

    def __init__(self, first: date, last: date):
        self.first = first
        count = (last - first).days + 1
        self.dates = [first + timedelta(days=i) for i in range(count)]
        self.midnight = []
        for day in self.dates:
            offset = LONDON.utcoffset(datetime(day.year, day.month, day.day, 12))
            self.midnight.append(calendar.timegm(day.timetuple()) - offset.total_seconds())
        self.origin = self.midnight[0]
        self.working = [is_working_day(day) for day in self.dates]
        self.working_days = [i for i, working in enumerate(self.working) if working]
        self.worked = list(itertools.accumulate(self.working))  # up to and including the day

    def index(self, day: date) -> int:
        return (day - self.first).days

    def day_of(self, ts: float) -> int:
        """The local day of a time (hours on clock-change days are off by at most one)."""
        k = int((ts - self.origin) // DAY)
        if ts < self.midnight[k]:
            return k - 1
        if ts >= self.midnight[k + 1]:
            return k + 1
        return k

    def at(self, k: int, seconds: float) -> float:
        """Day k at a local time (seconds after midnight; 02:00 or later on clock changes)."""
        return self.midnight[k] + seconds

    def add_working(self, k: int, n: int) -> int:
        """The n-th working day after day k (n = 0: k if it is a working day, else the next)."""
        if n <= 0:
            return k if self.working[k] else self.working_days[self.worked[k]]
        return self.working_days[self.worked[k] + n - 1]
