"""The task reminders against real PostgreSQL (moved from tests/notifications/test_sweeps.py):
new tasks and overdue ones, who hears, when (working days, bank holidays, working hours), and
never twice."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from actions.models import Action
from actions.reminders import sweep_assignments, sweep_overdue_actions
from notifications.models import Notification
from tests.reminders import WED, at, got, make_team, task

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(member, network, patient):
    return make_team(member, patient)


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


# --- new tasks -----------------------------------------------------------------


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
