"""Meeting slots on a network's cadence, in Europe/London local time across clock changes."""

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

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
