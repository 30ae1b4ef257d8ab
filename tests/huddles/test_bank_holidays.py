"""Meetings never fall on an England and Wales bank holiday (API.md 1.1, Huddles): that slot
moves to the next working day, or is skipped, per network; meetings already scheduled on one
are moved (or cancelled, their agenda carried forward) when the schedule is next topped up."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.workdays import bank_holidays, is_working_day
from huddles import scheduling, services
from huddles.models import AgendaItem, Meeting
from networks.models import Network
from tests.huddles.test_attribution import context_of

LONDON = ZoneInfo("Europe/London")


def at(day: date, hour: int = 13) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=LONDON)


def unsaved(cadence: str, weekdays: list[int], rule: str = "next_working_day") -> Network:
    return Network(
        slug="n",
        name="N",
        cadence=cadence,
        meeting_weekdays=weekdays,
        meeting_time=time(13, 0),
        schedule_anchor=date(2026, 12, 21),
        bank_holidays=rule,
    )


@pytest.mark.parametrize(
    ("cadence", "weekdays", "rule", "slot", "starts"),
    [
        # Dorset's virtual ward, Mondays and Thursdays: Boxing Day (observed), Mon 28 Dec 2026
        ("twice_weekly", [0, 3], "next_working_day", date(2026, 12, 28), date(2026, 12, 29)),
        ("twice_weekly", [0, 3], "skip", date(2026, 12, 28), None),
        # Christmas Day on a Friday: over the weekend and the substitute day, to Tuesday
        ("fortnightly", [4], "next_working_day", date(2026, 12, 25), date(2026, 12, 29)),
        # The next working day has its own meeting: that one takes the agenda
        ("twice_weekly", [0, 1], "next_working_day", date(2026, 12, 28), None),
        # A working day is left alone
        ("twice_weekly", [0, 3], "skip", date(2026, 12, 31), date(2026, 12, 31)),
    ],
)
def test_where_a_slot_goes(cadence, weekdays, rule, slot, starts):
    network = unsaved(cadence, weekdays, rule)
    assert scheduling.starts_for(network, at(slot)) == (at(starts) if starts else None)


def upcoming_bank_holiday_monday() -> date:
    """A Monday bank holiday at least two weeks ahead, whenever the tests run."""
    soon = timezone.localdate() + timedelta(days=14)
    return min(
        d
        for year in (soon.year, soon.year + 1)
        for d in bank_holidays(year)
        if d >= soon and d.weekday() == 0
    )


@pytest.fixture
def mondays(network):
    network.cadence, network.meeting_weekdays = "weekly", [0]
    network.save()
    return network


def test_the_schedule_has_no_meeting_on_a_bank_holiday(mondays):
    holiday = upcoming_bank_holiday_monday()
    services.meetings_schedule(network=mondays, today=holiday - timedelta(days=7), weeks=3)
    starts = [timezone.localtime(m.starts_at) for m in Meeting.objects.filter(network=mondays)]
    assert all(is_working_day(s.date()) for s in starts)
    moved = Meeting.objects.get(network=mondays, scheduled_for=at(holiday))
    assert timezone.localtime(moved.starts_at) == at(holiday + timedelta(days=1))


def test_a_network_that_skips_has_no_meeting_that_week(mondays):
    mondays.bank_holidays = "skip"
    mondays.save()
    holiday = upcoming_bank_holiday_monday()
    services.meetings_schedule(network=mondays, today=holiday - timedelta(days=7), weeks=3)
    assert not Meeting.objects.filter(network=mondays, scheduled_for=at(holiday)).exists()
    assert Meeting.objects.filter(network=mondays).count() == 3  # the other three Mondays


def test_meetings_scheduled_before_the_rule_are_moved_and_a_chairs_move_is_kept(mondays):
    holiday = upcoming_bank_holiday_monday()
    old = Meeting.objects.create(network=mondays, scheduled_for=at(holiday), starts_at=at(holiday))
    next_year = holiday + timedelta(weeks=52)
    next_year -= timedelta(days=next_year.weekday())
    chosen = Meeting.objects.create(  # the chair chose to meet on the holiday, at 10:00
        network=mondays, scheduled_for=at(next_year), starts_at=at(next_year, 10)
    )
    services.meetings_schedule(network=mondays, today=timezone.localdate())
    old.refresh_from_db()
    chosen.refresh_from_db()
    assert timezone.localtime(old.starts_at) == at(holiday + timedelta(days=1))
    assert old.status == "scheduled"
    assert context_of("Meeting", old.pk)["via"] == "beat:schedule_meetings"
    assert timezone.localtime(chosen.starts_at) == at(next_year, 10)
    assert services.meetings_schedule(network=mondays) == 0  # and it stays put
    old.refresh_from_db()
    assert timezone.localtime(old.starts_at) == at(holiday + timedelta(days=1))


def test_skipping_cancels_a_scheduled_meeting_and_carries_its_agenda(mondays, patient, member):
    holiday = upcoming_bank_holiday_monday()
    old = Meeting.objects.create(network=mondays, scheduled_for=at(holiday), starts_at=at(holiday))
    services.agenda_add(meeting=old, patient=patient, by=member("chair"), reason="Falls")
    mondays.bank_holidays = "skip"
    mondays.save()
    services.meetings_schedule(network=mondays, today=holiday - timedelta(days=7), weeks=3)
    old.refresh_from_db()
    assert (old.status, old.cancelled_reason) == ("cancelled", "Bank holiday")
    following = Meeting.objects.get(network=mondays, scheduled_for=at(holiday + timedelta(7)))
    assert AgendaItem.objects.get(meeting=following, patient=patient).reason == "Falls"
