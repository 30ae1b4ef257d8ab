"""Thin Celery tasks for reports."""

import datetime

from celery import shared_task
from django.utils import timezone

from notifications.tasks import EMAIL_ERRORS

from .monthly import monthly_reports_run


@shared_task(
    icn_system=True,  # a commissioner's networks, across networks (core/rls.py)
    autoretry_for=EMAIL_ERRORS,  # a mail server down: the unsent are sent on the retry
    retry_backoff=60,
    retry_backoff_max=10 * 60,  # below the broker's visibility timeout
    retry_jitter=True,
    max_retries=8,
)
def send_monthly_reports(day: str | None = None) -> int:
    """Beat, weekday mornings: on the month's first working day, every commissioner's report
    on the month before, made and sent once (any other day it does nothing). Safe to run twice
    or late the same day. `day` (ISO date) is for tests and re-runs."""
    today = datetime.date.fromisoformat(day) if day else timezone.localdate()
    return monthly_reports_run(today=today)
