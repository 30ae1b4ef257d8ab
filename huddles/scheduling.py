"""Meeting slots on a network's cadence, in Europe/London local time across clock changes,
and where a slot on a bank holiday goes (the network's `bank_holidays`)."""

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from core.workdays import is_working_day

DEFAULT_WEEKDAYS = {"weekly": [1], "fortnightly": [1], "twice_weekly": [0, 3]}


def weekdays_for(network) -> list[int]:
    days = sorted(set(network.meeting_weekdays or []))
    if network.cadence == "twice_weekly" and len(days) < 2:
        return DEFAULT_WEEKDAYS["twice_weekly"]
    return days or DEFAULT_WEEKDAYS[network.cadence]


def anchor_monday(network) -> date:
    anchor = network.schedule_anchor or timezone.localdate(network.created_at)
    return anchor - timedelta(days=anchor.weekday())


def slots(network, start: date, end: date) -> Iterator[datetime]:
    """Every meeting start from `start` to `end` inclusive: each chosen weekday at the
    meeting time, every week (weekly, twice weekly) or every other week from the anchor
    (fortnightly). 13:00 stays 13:00 local time whether it is GMT or BST."""
    tz = ZoneInfo(settings.TIME_ZONE)
    days = weekdays_for(network)
    first_monday = anchor_monday(network)
    day = start
    while day <= end:
        if day.weekday() in days:
            monday = day - timedelta(days=day.weekday())
            weeks = (monday - first_monday).days // 7
            if network.cadence != "fortnightly" or weeks % 2 == 0:
                yield datetime.combine(day, network.meeting_time, tzinfo=tz)
        day += timedelta(days=1)


def starts_for(network, slot: datetime) -> datetime | None:
    """When the meeting of `slot` starts: the slot itself on a working day. On an England and
    Wales bank holiday, the next working day at the same time, or None (no meeting) when the
    network skips such meetings or a meeting of its own cadence is held that day anyway."""
    tz = ZoneInfo(settings.TIME_ZONE)
    day = slot.astimezone(tz).date()
    if is_working_day(day) or day.weekday() >= 5:  # weekends: only if the network chose them
        return slot
    if network.bank_holidays == "skip":
        return None
    moved = day + timedelta(days=1)
    while not is_working_day(moved):
        moved += timedelta(days=1)
    if next(slots(network, moved, moved), None) is not None:
        return None  # that day has its own meeting, which takes this one's agenda
    return datetime.combine(moved, network.meeting_time, tzinfo=tz)
