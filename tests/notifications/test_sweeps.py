"""All the reminder sweeps together, through the `reminder_sweeps` port, against real
PostgreSQL; and cover, which every sweep's delivery honours. Each domain's own sweeps are
tested beside it (tests/<app>/test_reminders.py)."""

from datetime import date, timedelta

import pytest

from actions.models import Action
from actions.reminders import sweep_overdue_actions
from actions.tasks import notify_action_assigned
from huddles.tasks import send_minutes
from networks.models import Cover
from notifications.models import Notification
from notifications.sweeping import sweep_all
from tests.reminders import WED, at, got, make_team, task

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(member, network, patient):
    return make_team(member, patient)


# --- all the sweeps ----------------------------------------------------------------------------


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


def test_every_domains_sweeps_report_under_their_names_in_order(team):
    assert list(sweep_all(WED)) == [
        "assignments",
        "overdue",
        "follow_ups",
        "referrals",
        "meetings",
        "minutes",
    ]


def test_the_sweeps_run_are_those_the_port_lists(team, settings):
    task(team, date(2026, 11, 20), assignee=team["gp"])
    settings.ICN_PORTS = {**settings.ICN_PORTS, "reminder_sweeps": ["medicines.reminders.SWEEPS"]}
    assert sweep_all(WED) == {"follow_ups": 0}
    assert Notification.objects.count() == 0  # the overdue task waits for the actions sweeps


def test_tasks_that_moved_to_their_domain_keep_their_names():
    """Queued messages and beat rows name a task; those named before the move still resolve."""
    assert notify_action_assigned.name == "notifications.tasks.notify_action_assigned"
    assert send_minutes.name == "notifications.tasks.send_minutes"


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
