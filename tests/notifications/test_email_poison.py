"""One e-mail that can never be sent (a line break in a header, which Python's e-mail package
refuses as a header injection) must not hold up the others: it is marked failed, an admin is
told, the rest are sent, and a second run sends nothing again. A task title with a line break,
which used to be such a message, now goes out with a one-line subject."""

import datetime
import logging

import pytest
from django.core import mail

from actions.models import Action
from actions.services import action_create
from actions.tasks import notify_action_assigned
from notifications.models import Notification, Preference
from notifications.tasks import email_pending

pytestmark = pytest.mark.django_db
POISON = "Ring Edith Okafor's daughter\r\nBcc: someone@example.com"


@pytest.fixture
def identifiable(settings):
    settings.ICN_NOTIFY = {**settings.ICN_NOTIFY, "EMAIL_IDENTIFIABLE": True}
    settings.ADMINS = ["ops@icn.example.nhs.uk"]


def pending(user, title, n):
    # Written as a row stored before titles were made single-line would be.
    return Notification.objects.create(
        recipient=user,
        kind="action_assigned",
        key=f"test:{n}",
        title=title,
        url="/my-work/",
        email=Notification.Email.PENDING,
    )


def test_a_poison_email_is_marked_failed_an_admin_told_and_the_others_sent(
    identifiable, member, caplog
):
    gp, nurse, pharmacist = member("gp"), member("community_nurse"), member("pharmacist")
    # An address stored with a line break by a path that skipped validation: no subject
    # cleaning can save this one, it fails every time.
    pharmacist.email = "pharmacist@example.nhs.uk\r\nBcc: someone@example.com"
    pharmacist.save()
    poison = pending(pharmacist, "Review the medicines", 1)  # the oldest: tried first
    good = [pending(gp, POISON, 2), pending(nurse, "Book the visit", 3)]

    with caplog.at_level(logging.ERROR, logger="notifications"):
        result = email_pending.apply()  # the task as Celery runs it, retries and all
    assert result.successful() and result.get() == 2

    poison.refresh_from_db()
    assert poison.email == Notification.Email.FAILED and poison.emailed_at is None
    for row in good:
        row.refresh_from_db()
        assert row.email == Notification.Email.SENT
    [to_admins] = [m for m in mail.outbox if m.to == ["ops@icn.example.nhs.uk"]]
    sent = [m for m in mail.outbox if m is not to_admins]
    # The title with CR/LF, which used to stop every e-mail, goes out on one line.
    assert [m.subject for m in sent] == [
        "Ring Edith Okafor's daughter Bcc: someone@example.com",
        "Book the visit",
    ]
    assert [m.to for m in sent] == [[gp.email], [nurse.email]]
    assert to_admins.to == ["ops@icn.example.nhs.uk"]
    assert to_admins.subject == "[ICN] An e-mail notification could not be sent"
    assert f"Notification {poison.pk}" in to_admins.body
    assert "Review" not in to_admins.subject + to_admins.body  # no title: it may name a patient
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"notification {poison.pk}" in record.getMessage()
    assert "Review" not in record.getMessage()

    again = email_pending.apply()
    assert again.get() == 0 and len(mail.outbox) == 3  # nothing re-sent, no second alarm


def test_a_task_title_with_a_line_break_reaches_the_assignee_on_one_line(
    identifiable, member, patient
):
    """Defence in depth: the notification's title, and so the subject, is a single line even
    when a task's stored title holds a line break."""
    chair, gp = member("chair"), member("gp")
    Preference.objects.create(user=gp, email=Preference.Delivery.IMMEDIATE)
    action = action_create(
        by=chair,
        patient=patient,
        title="Ring her daughter",
        assignee=gp,
        due_on=datetime.date.today() + datetime.timedelta(days=3),
    )
    # action_create now refuses a line break (single_line); a row stored before that rule,
    # or written by a path that skips validation, may still hold one.
    Action.objects.filter(pk=action.pk).update(title="Ring her daughter\r\nabout the keys")
    notify_action_assigned(action_id=action.pk, network_id=action.network_id)
    assert email_pending() == 1
    [message] = mail.outbox
    assert "Ring her daughter about the keys" in message.subject
    assert "\n" not in message.subject and "\r" not in message.subject
    assert Notification.objects.get(recipient=gp).title.count("\n") == 0
