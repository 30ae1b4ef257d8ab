"""What the reminder sweep tests share (tests/<app>/test_reminders.py and
tests/notifications/test_sweeps.py): times in London, a team of members, a task."""

from datetime import datetime
from zoneinfo import ZoneInfo

from notifications.models import Notification
from tests.factories import ActionFactory

LONDON = ZoneInfo("Europe/London")


def at(y, m, d, hh=10, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


WED = at(2026, 12, 2)  # an ordinary working Wednesday, 10:00


def got(user, kind=None):
    qs = Notification.objects.filter(recipient=user)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs)


def make_team(member, patient):
    """The members a sweep reaches (a test module's `team` fixture returns this)."""
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
