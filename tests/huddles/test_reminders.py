"""Meeting reminders, the chair's pack and the minutes against real PostgreSQL (moved from
tests/notifications/test_sweeps.py), across clock changes, and never twice."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from huddles.models import AgendaItem, Attendance, Meeting
from huddles.reminders import meeting_reminder_at, sweep_meetings, sweep_minutes
from notifications.models import Notification
from patients.models import CareTeamMember
from tests.factories import PatientFactory
from tests.reminders import LONDON, at, got, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(member, network, patient):
    return make_team(member, patient)


# --- meetings ---------------------------------------------------------------------------------


@pytest.fixture
def meeting(team, network):
    starts = at(2026, 12, 3, 13)
    meeting = Meeting.objects.create(
        network=network, scheduled_for=starts, starts_at=starts, chair=team["chair"]
    )
    AgendaItem.objects.create(
        meeting=meeting, patient=team["patient"], source="manual", reason="Falls", position=1
    )
    other = PatientFactory(network=network, given_name="Arthur", family_name="Dent")
    AgendaItem.objects.create(
        meeting=meeting, patient=other, source="manual", reason="Discharge", position=2
    )
    CareTeamMember.objects.create(
        patient=team["patient"],
        membership=team["nurse"].memberships.get(),
        added_by=team["chair"],
    )
    return meeting


def test_a_day_before_the_meeting_members_hear_their_people_and_the_chair_gets_the_pack(
    team, meeting
):
    assert sweep_meetings(at(2026, 12, 2, 12, 55)) == 0  # 24 h 5 min before
    sweep_meetings(at(2026, 12, 2, 13, 0))
    [items] = got(team["nurse"], "meeting_items")
    assert "Edith Okafor" in items.title and "huddle" in items.title
    assert "Arthur" not in items.body
    [pack] = got(team["chair"], "meeting_pack")
    assert pack.title.startswith("Huddle pack") and "2 people" in pack.title
    assert "1. Edith Okafor: Falls" in pack.body and "2. Arthur Dent: Discharge" in pack.body
    assert pack.occurrence.startswith("24h:")

    sweep_meetings(at(2026, 12, 2, 15, 0))
    assert Notification.objects.count() == 2
    sweep_meetings(at(2026, 12, 3, 12, 0))  # an hour before
    assert sorted(n.occurrence[:3] for n in got(team["chair"])) == ["1h:", "24h"]
    assert sweep_meetings(at(2026, 12, 3, 13, 30)) == 0  # it has started


def test_a_moved_meeting_is_announced_again_and_a_cancelled_one_not_at_all(team, meeting):
    sweep_meetings(at(2026, 12, 2, 13))
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=at(2026, 12, 3, 15))
    sweep_meetings(at(2026, 12, 2, 15))
    assert len(got(team["chair"], "meeting_pack")) == 2
    Meeting.objects.filter(pk=meeting.pk).update(status="cancelled")
    assert sweep_meetings(at(2026, 12, 3, 14, 30)) == 0


def test_the_vocabulary_of_the_network(team, meeting, network):
    network.vocabulary = "hub"
    network.save()
    sweep_meetings(at(2026, 12, 2, 13))
    [pack] = got(team["chair"], "meeting_pack")
    assert pack.title.startswith(network.terms["meeting"].capitalize())


def test_minutes_go_to_those_present_and_the_care_teams(team, meeting):
    AgendaItem.objects.filter(meeting=meeting, patient=team["patient"]).update(status="discussed")
    Attendance.objects.create(meeting=meeting, user=team["gp"], present=True)
    Attendance.objects.create(meeting=meeting, user=team["pharmacist"], present=False)
    Meeting.objects.filter(pk=meeting.pk).update(status="closed", closed_at=timezone.now())
    sweep_minutes(timezone.now())
    recipients = set(
        Notification.objects.filter(kind="meeting_minutes").values_list("recipient", flat=True)
    )
    assert recipients == {team["gp"].pk, team["nurse"].pk, team["chair"].pk}
    assert sweep_minutes(timezone.now()) == 0


def test_the_day_before_is_the_same_clock_time_across_a_clock_change():
    """Clocks go forward at 01:00 on Sunday 28 March 2027 and back on 31 October 2027."""

    def real_hours(a, b):
        return (a.astimezone(UTC) - b.astimezone(UTC)) / timedelta(hours=1)

    sunday_after_spring = at(2027, 3, 28, 13)
    assert meeting_reminder_at(sunday_after_spring, "24h") == at(2027, 3, 27, 13)
    assert real_hours(sunday_after_spring, meeting_reminder_at(sunday_after_spring, "24h")) == 23
    sunday_after_autumn = at(2027, 10, 31, 13)
    assert real_hours(sunday_after_autumn, meeting_reminder_at(sunday_after_autumn, "24h")) == 25
    monday = at(2027, 3, 29, 13)
    assert meeting_reminder_at(monday, "24h") == at(2027, 3, 28, 13)
    assert meeting_reminder_at(monday, "1h").astimezone(LONDON).hour == 12


def test_a_meeting_the_monday_after_the_clocks_go_forward(team, network):
    starts = at(2027, 3, 29, 13)
    meeting = Meeting.objects.create(
        network=network, scheduled_for=starts, starts_at=starts, chair=team["chair"]
    )
    assert sweep_meetings(at(2027, 3, 28, 12, 59)) == 0
    sweep_meetings(at(2027, 3, 28, 13, 0))
    [pack] = got(team["chair"], "meeting_pack")
    assert pack.subject_id == meeting.pk and "Mon 29 Mar at 13:00" in pack.title
