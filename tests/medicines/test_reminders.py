"""Follow-up visit reminders against real PostgreSQL (moved from
tests/notifications/test_sweeps.py)."""

from datetime import date

import pytest

from medicines.reminders import sweep_follow_ups_due
from tests.reminders import WED, at, got, make_team, task

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(member, network, patient):
    return make_team(member, patient)


# --- follow-up visits -------------------------------------------------------------------------


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
