"""The reminder sweeps against real PostgreSQL: who hears what, when (working days, bank
holidays, working hours, clock changes), and never twice."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from actions.models import Action
from huddles.models import AgendaItem, Attendance, Meeting
from networks.models import Cover
from notifications.models import Notification
from notifications.sweeps import (
    meeting_reminder_at,
    sweep_all,
    sweep_assignments,
    sweep_follow_ups_due,
    sweep_meetings,
    sweep_minutes,
    sweep_overdue_actions,
    sweep_untriaged_referrals,
)
from patients.models import CareTeamMember
from referrals.models import Referral
from tests.factories import ActionFactory, PatientFactory
from tests.referrals.factories import ReferralFactory

LONDON = ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db


def at(y, m, d, hh=10, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


WED = at(2026, 12, 2)  # an ordinary working Wednesday, 10:00


def got(user, kind=None):
    qs = Notification.objects.filter(recipient=user)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs)


@pytest.fixture
def team(member, network, patient):
    return {
        "chair": member("chair"),
        "pharmacist": member("pharmacist"),
        "pharmacist2": member("pharmacist", username="pharmacist2.thornton-heath"),
        "gp": member("gp"),
        "nurse": member("community_nurse"),
        "patient": patient,
    }


def task(team, due_on, **kwargs):
    kwargs.setdefault("assignee_role", "" if kwargs.get("assignee") else "pharmacist")
    return ActionFactory(patient=team["patient"], due_on=due_on, created_by=team["chair"], **kwargs)


# --- overdue tasks ----------------------------------------------------------------------------


def test_owner_reminded_one_working_day_overdue_and_chair_after_three(team):
    yesterday = task(team, date(2026, 12, 1), assignee=team["gp"], title="Ring the daughter")
    three_days = task(team, date(2026, 11, 27), assignee=team["gp"], title="Book bloods")
    not_yet = task(team, date(2026, 12, 2), assignee=team["gp"])  # due today

    sweep_overdue_actions(WED)

    reminded = {n.subject_id for n in got(team["gp"], "action_overdue")}
    assert reminded == {yesterday.pk, three_days.pk}
    escalated = got(team["chair"], "action_escalated")
    assert [n.subject_id for n in escalated] == [three_days.pk]
    assert "Book bloods" in escalated[0].title
    assert "Sent to you as network facilitator" in escalated[0].body
    assert not Notification.objects.filter(subject_id=not_yet.pk).exists()


def test_sweeping_again_or_twice_over_inserts_nothing(team):
    task(team, date(2026, 11, 20), assignee=team["gp"])
    task(team, date(2026, 11, 20))  # the pharmacist queue: two pharmacists
    # Made long before the sweeps' WED (not at the wall clock's now): otherwise, run within
    # the assignment look-back of WED or after it, sweep_all would also send assignments.
    Action.objects.update(created_at=at(2026, 11, 13))
    sweep_overdue_actions(WED)
    first = Notification.objects.count()
    assert first == 1 + 2 + 2  # gp; two pharmacists; the chair twice (two tasks)

    sweep_overdue_actions(WED)
    sweep_overdue_actions(WED + timedelta(hours=3))
    sweep_all(WED)
    assert Notification.objects.count() == first
    assert Notification.objects.values("key").distinct().count() == first


def test_a_new_due_date_is_a_new_occurrence(team):
    action = task(team, date(2026, 11, 30), assignee=team["gp"])
    sweep_overdue_actions(WED)
    Action.objects.filter(pk=action.pk).update(due_on=date(2026, 12, 1))
    sweep_overdue_actions(WED)
    assert sorted(n.occurrence for n in got(team["gp"], "action_overdue")) == [
        "2026-11-30",
        "2026-12-01",
    ]


def test_done_tasks_are_not_chased(team):
    action = task(team, date(2026, 11, 20), assignee=team["gp"])
    Action.objects.filter(pk=action.pk).update(status="done", done_at=timezone.now())
    sweep_overdue_actions(WED)
    assert Notification.objects.count() == 0


def test_no_task_reminders_at_weekends_or_outside_working_hours(team):
    task(team, date(2026, 12, 4), assignee=team["gp"])  # Friday
    assert sweep_overdue_actions(at(2026, 12, 5)) == 0  # Saturday
    assert sweep_overdue_actions(at(2026, 12, 7, 6, 30)) == 0  # Monday before 07:00
    assert sweep_overdue_actions(at(2026, 12, 7, 19, 0)) == 0  # Monday evening
    assert got(team["gp"]) == []
    sweep_overdue_actions(at(2026, 12, 7, 7, 0))  # Monday 07:00: one working day overdue
    assert len(got(team["gp"], "action_overdue")) == 1


def test_bank_holidays_are_not_working_days(team):
    """Christmas 2026: Friday 25th and Monday 28th (Boxing Day's substitute) are bank
    holidays. A task due on Christmas Eve has waited one working day on Tuesday 29th."""
    task(team, date(2026, 12, 24), assignee=team["gp"])
    assert sweep_overdue_actions(at(2026, 12, 28)) == 0  # a bank holiday: nothing goes out
    sweep_overdue_actions(at(2026, 12, 29))
    assert len(got(team["gp"], "action_overdue")) == 1
    assert got(team["chair"], "action_escalated") == []  # 1 working day, not 3
    sweep_overdue_actions(at(2026, 12, 31))  # Tue 29, Wed 30, Thu 31: three
    assert len(got(team["chair"], "action_escalated")) == 1


def test_a_task_whose_owner_has_left_goes_to_the_chair(team):
    from networks.services import membership_deactivate

    task(team, date(2026, 12, 1), assignee=team["gp"])
    membership_deactivate(membership=team["gp"].memberships.get(), by=None)
    sweep_overdue_actions(WED)
    assert got(team["gp"]) == []
    assert len(got(team["chair"], "action_overdue")) == 1


# --- cover ------------------------------------------------------------------------------------


def test_an_away_members_reminders_reach_their_deputy(team, network):
    Cover.objects.create(
        network=network,
        member=team["gp"],
        deputy=team["nurse"],
        starts_on=date(2026, 11, 30),
        ends_on=date(2026, 12, 4),
        created_by=team["gp"],
    )
    task(team, date(2026, 12, 1), assignee=team["gp"], title="Review warfarin")
    sweep_overdue_actions(WED)
    own = got(team["gp"], "action_overdue")
    copy = got(team["nurse"], "action_overdue")
    assert len(own) == 1 and own[0].email == Notification.Email.NONE  # not e-mailed while away
    assert len(copy) == 1 and copy[0].covering_for == team["gp"]
    assert copy[0].title.startswith(f"Covering for {team['gp'].get_full_name()}")
    assert copy[0].email != Notification.Email.NONE


def test_cover_outside_its_dates_changes_nothing(team, network):
    Cover.objects.create(
        network=network,
        member=team["gp"],
        deputy=team["nurse"],
        starts_on=date(2026, 12, 3),
        ends_on=date(2026, 12, 4),
        created_by=team["gp"],
    )
    task(team, date(2026, 12, 1), assignee=team["gp"])
    sweep_overdue_actions(WED)
    assert got(team["nurse"]) == []


# --- new tasks and follow-ups -----------------------------------------------------------------


def test_an_assignment_whose_message_was_lost_is_found_again(team):
    named = task(team, timezone.localdate() + timedelta(days=2), assignee=team["gp"])
    queued = task(team, timezone.localdate() + timedelta(days=2))  # pharmacist queue
    mine = task(team, timezone.localdate(), assignee=team["chair"])  # made for oneself
    sweep_assignments(timezone.now())
    assert [n.subject_id for n in got(team["gp"], "action_assigned")] == [named.pk]
    for pharmacist in (team["pharmacist"], team["pharmacist2"]):
        [n] = got(pharmacist, "action_queued")
        assert n.subject_id == queued.pk and "pharmacist queue" in n.title
    assert not Notification.objects.filter(subject_id=mine.pk).exists()
    sweep_assignments(timezone.now())
    assert Notification.objects.count() == 3


def test_follow_up_visits_due_today_remind_the_visitor(team):
    visit = task(team, date(2026, 12, 2), assignee=team["pharmacist"], source="visit")
    task(team, date(2026, 12, 3), assignee=team["pharmacist"], source="visit")  # tomorrow
    task(team, date(2026, 12, 2), assignee=team["pharmacist"])  # not a visit
    sweep_follow_ups_due(WED)
    [n] = got(team["pharmacist"], "follow_up_due")
    assert n.subject_id == visit.pk and "Edith Okafor" in n.title


def test_a_follow_up_due_at_the_weekend_is_reminded_on_monday(team):
    visit = task(team, date(2026, 12, 5), assignee=team["pharmacist"], source="visit")
    sweep_follow_ups_due(at(2026, 12, 7))
    assert [n.subject_id for n in got(team["pharmacist"], "follow_up_due")] == [visit.pk]


# --- referrals --------------------------------------------------------------------------------


def referral(team, made: datetime, **kwargs):
    kwargs.setdefault("service", "medicines_optimisation")
    ref = ReferralFactory(patient=team["patient"], referred_by=team["gp"], **kwargs)
    Referral.objects.filter(pk=ref.pk).update(created_at=made)
    return ref


def test_untriaged_referral_reminded_after_two_working_days_escalated_after_five(team):
    ref = referral(team, at(2026, 11, 30, 9))  # Monday morning
    sweep_untriaged_referrals(at(2026, 12, 1))  # Tuesday: one working day
    assert Notification.objects.count() == 0
    sweep_untriaged_referrals(WED)  # two
    for pharmacist in (team["pharmacist"], team["pharmacist2"]):
        [n] = got(pharmacist, "referral_untriaged")
        assert n.subject_id == ref.pk and "Medicines optimisation" in n.title
    assert got(team["chair"]) == []
    sweep_untriaged_referrals(at(2026, 12, 7))  # next Monday: five
    [n] = got(team["chair"], "referral_escalated")
    assert n.subject_id == ref.pk
    sweep_untriaged_referrals(at(2026, 12, 8))
    assert Notification.objects.count() == 3


def test_urgent_referrals_after_four_hours_and_the_chair_after_eight(team):
    referral(team, WED - timedelta(hours=3), urgency="urgent")
    late = referral(team, WED - timedelta(hours=5), urgency="urgent", service="community_nursing")
    older = referral(team, WED - timedelta(hours=9), urgency="urgent", service="gp")
    sweep_untriaged_referrals(WED)
    assert {n.subject_id for n in Notification.objects.filter(kind="referral_untriaged")} == {
        late.pk,
        older.pk,
    }
    assert [n.subject_id for n in got(team["chair"], "referral_escalated")] == [older.pk]
    assert "Urgent referral" in got(team["chair"], "referral_escalated")[0].title


def test_triaged_referrals_are_not_chased(team):
    ref = referral(team, at(2026, 11, 23))
    Referral.objects.filter(pk=ref.pk).update(status="accepted", triaged_at=WED)
    assert sweep_untriaged_referrals(WED) == 0


def test_thresholds_are_configuration(team, settings):
    settings.ICN_NOTIFY = {**settings.ICN_NOTIFY, "REFERRAL_REMIND_WORKING_DAYS": 1}
    referral(team, at(2026, 11, 30, 9))
    sweep_untriaged_referrals(at(2026, 12, 1))
    assert len(got(team["pharmacist"], "referral_untriaged")) == 1


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
