"""E-mail: straight away or in the 07:30 digest, once, without patient names unless the
mail route is approved, retried when the mail server is down."""

import socket
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core import mail

from icn.celery import app
from notifications.models import Digest, Notification, Preference
from notifications.services import digest_send, email_one_pending, notification_send
from notifications.tasks import email_pending, send_digests

LONDON = ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db


def send(user, patient, occurrence="1", **kwargs):
    return notification_send(
        recipient=user,
        kind="action_overdue",
        title=f"Overdue: ring {patient.full_name}'s daughter",
        subject_type="action",
        subject_id=1,
        occurrence=occurrence,
        body=f"For {patient.full_name}.",
        url="/my-work/",
        network=patient.network,
        patient=patient,
        **kwargs,
    )


@pytest.fixture
def gp(member):
    return member("gp")


def immediate(user):
    Preference.objects.create(user=user, email=Preference.Delivery.IMMEDIATE)


def test_straight_away_sends_one_email_without_the_patients_name(gp, patient):
    immediate(gp)
    notification = send(gp, patient)
    assert notification.email == Notification.Email.PENDING
    assert email_pending() == 1
    [message] = mail.outbox
    assert message.to == [gp.email]
    assert "Okafor" not in message.subject + message.body
    assert "A task of yours is overdue (Thornton Heath)" in message.body
    assert "http://127.0.0.1:8000/my-work/" in message.body
    assert "/notifications/settings/" in message.body
    notification.refresh_from_db()
    assert notification.email == Notification.Email.SENT and notification.emailed_at

    assert email_pending() == 0  # run again, by beat or a duplicate message
    assert len(mail.outbox) == 1


def test_names_only_where_the_mail_route_is_approved(gp, patient, settings):
    settings.ICN_NOTIFY = {**settings.ICN_NOTIFY, "EMAIL_IDENTIFIABLE": True}
    immediate(gp)
    send(gp, patient)
    email_pending()
    assert "Edith Okafor" in mail.outbox[0].subject


def test_no_address_no_email(gp, patient):
    gp.email = ""
    gp.save()
    immediate(gp)
    assert send(gp, patient).email == Notification.Email.NONE


def test_the_default_is_the_morning_digest(gp, patient):
    assert send(gp, patient).email == Notification.Email.DIGEST
    assert email_pending() == 0
    assert mail.outbox == []


def test_a_mail_server_that_is_down_leaves_the_email_pending_for_a_retry(gp, patient, settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 1
    immediate(gp)
    notification = send(gp, patient)
    with pytest.raises(OSError):
        email_one_pending()
    notification.refresh_from_db()
    assert notification.email == Notification.Email.PENDING
    # The task retries such errors with exponential back-off.
    assert OSError in email_pending.autoretry_for and email_pending.retry_backoff

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert email_pending() == 1
    assert len(mail.outbox) == 1


def test_the_digest_bundles_everything_waiting_once_a_day(gp, patient):
    send(gp, patient, "1")
    send(gp, patient, "2")
    assert send_digests(day="2026-12-02") == 1
    [message] = mail.outbox
    assert "2 updates for Wednesday 02 December" in message.subject
    assert message.body.count("A task of yours is overdue") == 2
    assert Notification.objects.filter(email="sent", digest__isnull=False).count() == 2

    assert send_digests(day="2026-12-02") == 0  # a second beat, a retry
    send(gp, patient, "3")
    assert digest_send(user_id=gp.pk, day=date(2026, 12, 2)) is None  # already had today's
    assert send_digests(day="2026-12-03") == 1
    assert len(mail.outbox) == 2
    assert Digest.objects.filter(recipient=gp).count() == 2


def test_no_digest_on_a_bank_holiday_or_at_the_weekend(gp, patient):
    send(gp, patient)
    assert send_digests(day="2026-12-28") == 0  # Boxing Day's substitute
    assert send_digests(day="2026-12-26") == 0  # Saturday
    assert mail.outbox == []
    assert send_digests(day="2026-12-29") == 1


def test_the_digest_runs_at_0730_london_time_either_side_of_the_clock_change():
    entry = django_settings.CELERY_BEAT_SCHEDULE["morning-digest"]
    assert entry["task"] == "notifications.tasks.send_digests"
    schedule = entry["schedule"]

    def due(at_utc: datetime, last_run: datetime) -> bool:
        probe = crontab(
            minute=schedule._orig_minute,
            hour=schedule._orig_hour,
            day_of_week=schedule._orig_day_of_week,
            nowfun=lambda: at_utc.astimezone(LONDON),
            app=app,
        )
        return probe.is_due(last_run.astimezone(LONDON)).is_due

    friday = datetime(2027, 3, 26, 7, 30, tzinfo=LONDON)  # GMT: 07:30 UTC
    # Monday 29 March 2027 is in BST: 07:30 in London is 06:30 UTC.
    assert not due(datetime(2027, 3, 29, 6, 29, tzinfo=UTC), friday)
    assert due(datetime(2027, 3, 29, 6, 30, tzinfo=UTC), friday)
    # Not at the weekend.
    assert not due(datetime(2027, 3, 27, 7, 30, tzinfo=UTC), friday)
    # Back to GMT in October: Monday 1 November 2027, 07:30 UTC.
    friday_bst = datetime(2027, 10, 29, 7, 30, tzinfo=LONDON)
    assert not due(datetime(2027, 11, 1, 7, 29, tzinfo=UTC), friday_bst)
    assert due(datetime(2027, 11, 1, 7, 30, tzinfo=UTC), friday_bst)


def test_every_periodic_task_in_the_schedule_exists():
    app.loader.import_default_modules()  # what a worker does at start: autodiscover tasks
    for name, entry in django_settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
