"""Thin Celery tasks: load by id or by time, call a service. Every one is safe to run twice,
late or concurrently: what is sent is decided from the database, and each notification's
unique key stops a second delivery."""

from datetime import date
from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

from core.workdays import is_working_day

from .models import Notification
from .services import digest_send, email_one_pending
from .sweeping import sweep_all

EMAIL_ERRORS = (SMTPException, OSError)


@shared_task(icn_system=True)  # spans every network (core/rls.py)
def sweep_reminders() -> dict[str, int]:
    """Beat, every few minutes: every domain's reminder sweeps (overdue tasks, follow-ups,
    untriaged referrals, meetings), through the `reminder_sweeps` port."""
    return sweep_all(timezone.now())


@shared_task(
    icn_system=True,  # every network's pending e-mails
    autoretry_for=EMAIL_ERRORS,
    retry_backoff=30,
    retry_backoff_max=10 * 60,  # below the broker's visibility timeout
    retry_jitter=True,
    max_retries=12,
)
def email_pending(limit: int = 500) -> int:
    """Send e-mails waiting to go straight away (queued on commit, and by beat as the sweep for
    any whose message was lost). A mail server error retries with back-off; nothing is marked
    sent until it has been handed over. A message that can never be sent is marked failed (an
    admin is told) and the rest go on. Returns how many were sent."""
    sent = handled = 0
    while handled < limit and (outcome := email_one_pending()):
        handled += 1
        sent += outcome == Notification.Email.SENT
    return sent


@shared_task(
    icn_system=True,  # every member's digest, whatever their networks
    autoretry_for=EMAIL_ERRORS,
    retry_backoff=60,
    retry_backoff_max=10 * 60,  # below the broker's visibility timeout
    retry_jitter=True,
    max_retries=8,
)
def send_digests(day: str | None = None) -> int:
    """Beat, 07:30 Monday to Friday: the morning digest, except on bank holidays. Each person
    at most once a day, however often this runs. `day` (ISO date) is for tests and re-runs."""
    today = date.fromisoformat(day) if day else timezone.localdate()
    if not is_working_day(today):
        return 0
    if not day:
        sweep_all(timezone.now())  # so this morning's reminders are in the digest
    recipients = (
        Notification.objects.filter(email=Notification.Email.DIGEST)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    return sum(digest_send(user_id=user_id, day=today) is not None for user_id in recipients)
