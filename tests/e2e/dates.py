"""Typing a date into the NHS date input (Day, Month, Year boxes in a fieldset), as a person
does: find the group by its legend, then each box by its label."""

import datetime
import re

from playwright.sync_api import Locator, Page


def fill_date(where: Page | Locator, legend: str, day: datetime.date | str) -> None:
    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    group = where.get_by_role("group", name=re.compile(rf"^{re.escape(legend)}"))
    group.get_by_label("Day", exact=True).fill(str(day.day))
    group.get_by_label("Month", exact=True).fill(str(day.month))
    group.get_by_label("Year", exact=True).fill(str(day.year))
