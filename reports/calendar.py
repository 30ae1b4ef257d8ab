"""The working-day calendar table (reports.CalendarDay), from core.workdays."""

from datetime import date, timedelta

FIRST = date(2000, 1, 1)
LAST = date(2060, 12, 31)


def calendar_rows(first: date = FIRST, last: date = LAST):
    from core.workdays import is_working_day

    index = 0
    day = first
    while day <= last:
        working = is_working_day(day)
        index += working
        yield day, working, index
        day += timedelta(days=1)


def ensure_calendar(model=None) -> int:
    """Fill the calendar if it is missing or incomplete (a migration does it once; tests that
    flush the database call it again). Returns the rows written."""
    if model is None:
        from .models import CalendarDay as model
    if model.objects.filter(day=LAST).exists() and model.objects.filter(day=FIRST).exists():
        return 0
    model.objects.all().delete()
    rows = [model(day=d, working=w, working_index=i) for d, w, i in calendar_rows()]
    model.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
