"""Thin Celery tasks for the access trail."""

import datetime

from celery import shared_task
from django.utils import timezone

from .digest import unusual_access_notify


@shared_task(icn_system=True)  # each network's trail in turn (core/rls.py)
def notify_unusual_access(day: str | None = None) -> int:
    """Beat, daily at 07:00: yesterday's unusual access, to each network's IG lead(s). Safe to
    run twice or late: the notifications' unique keys stop a second delivery. `day` (ISO
    date) is for tests and re-runs."""

    when = (
        datetime.date.fromisoformat(day)
        if day
        else timezone.localdate() - datetime.timedelta(days=1)
    )
    return unusual_access_notify(day=when)
