from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from huddles import scheduling
from huddles.models import Meeting
from huddles.services import meetings_schedule
from networks.models import Network

LONDON = ZoneInfo("Europe/London")


def network(cadence, weekdays, at=time(13, 0), anchor=date(2026, 10, 5)):
    return Network(
        slug="n",
        name="N",
        cadence=cadence,
        meeting_weekdays=weekdays,
        meeting_time=at,
        schedule_anchor=anchor,
    )


def test_weekly():
    starts = list(scheduling.slots(network("weekly", [2]), date(2026, 11, 2), date(2026, 11, 29)))
    assert [s.date() for s in starts] == [
        date(2026, 11, 4),
        date(2026, 11, 11),
        date(2026, 11, 18),
        date(2026, 11, 25),
    ]


def test_fortnightly_from_the_anchor_week():
    starts = list(
        scheduling.slots(network("fortnightly", [1]), date(2026, 11, 1), date(2026, 12, 31))
    )
    assert [s.date() for s in starts] == [
        date(2026, 11, 3),
        date(2026, 11, 17),
        date(2026, 12, 1),
        date(2026, 12, 15),
        date(2026, 12, 29),
    ]


def test_twice_weekly():
    starts = list(
        scheduling.slots(
            network("twice_weekly", [0, 3], time(9, 30)), date(2026, 11, 2), date(2026, 11, 15)
        )
    )
    assert [(s.date(), s.time()) for s in starts] == [
        (date(2026, 11, 2), time(9, 30)),
        (date(2026, 11, 5), time(9, 30)),
        (date(2026, 11, 9), time(9, 30)),
        (date(2026, 11, 12), time(9, 30)),
    ]


def test_clock_change_keeps_local_time():
    """BST ends on Sunday 25 October 2026: 13:00 is 12:00 UTC before and 13:00 UTC after."""
    starts = list(scheduling.slots(network("weekly", [1]), date(2026, 10, 19), date(2026, 11, 1)))
    assert [s.astimezone(ZoneInfo("UTC")).hour for s in starts] == [12, 13]
    assert all(s.astimezone(LONDON).hour == 13 for s in starts)
    spring = list(
        scheduling.slots(
            network("twice_weekly", [4, 0], time(9, 30)), date(2027, 3, 26), date(2027, 3, 29)
        )
    )
    assert [s.astimezone(ZoneInfo("UTC")).strftime("%d %H:%M") for s in spring] == [
        "26 09:30",
        "29 08:30",
    ]


def test_twice_weekly_with_one_weekday_falls_back_to_two():
    assert scheduling.weekdays_for(network("twice_weekly", [2])) == [0, 3]


@pytest.mark.django_db
def test_schedule_is_topped_up_idempotently_for_eight_weeks(network):
    network.cadence, network.meeting_weekdays = "twice_weekly", [0, 3]
    network.save()
    today = timezone.localdate()
    created = meetings_schedule(network=network, today=today)
    assert 15 <= created <= 17
    assert meetings_schedule(network=network, today=today) == 0
    last = Meeting.objects.filter(network=network).order_by("-starts_at").first()
    assert last.starts_at.date() >= today + timedelta(weeks=8) - timedelta(days=4)
    first = Meeting.objects.filter(network=network).order_by("starts_at").first()
    assert first.starts_at >= timezone.now()
    assert isinstance(first.starts_at, datetime)
