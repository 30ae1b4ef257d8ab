"""Delivering notifications: in the app at once; by e-mail now or in the morning digest.

Every notification has a unique key (kind, subject, recipient, occurrence), so a retried task,
a duplicate delivery, a sweep run twice or two beat processes never reach a person twice.
A member who is away has a deputy (`networks.Cover`): the deputy gets a copy, marked as
covering, and the away member's own copy is not e-mailed."""

import datetime
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from smtplib import SMTPException, SMTPRecipientsRefused
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, mail_admins
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from core.attribution import attributed
from core.typing import User as Person
from core.validators import one_line
from networks.selectors import deputies_on

from .kinds import label
from .models import Digest, Notification, Preference

User = get_user_model()
logger = logging.getLogger(__name__)


def notification_key(
    kind: str, subject_type: str, subject_id: int | None, recipient_id: int, occurrence: str = ""
) -> str:
    return f"{kind}:{subject_type}:{subject_id or ''}:{recipient_id}:{occurrence}"[:200]


@dataclass(frozen=True)
class Message:
    """What to tell one person. `subject_type`/`subject_id`/`occurrence` identify the event."""

    recipient_id: int
    kind: str
    title: str
    subject_type: str = ""
    subject_id: int | None = None
    occurrence: str = ""
    body: str = ""
    url: str = ""
    network_id: int | None = None
    patient_id: int | None = None
    email_body: str = ""  # for the e-mail only, and only if it may carry patient data
    # False when the sender e-mails it itself (the commissioner's monthly report, which may
    # carry attachments): in the app only, so that no one gets two e-mails.
    emailed: bool = True


def email_default() -> str:
    return settings.ICN_NOTIFY["EMAIL_DEFAULT"]


def _rows(messages: list[Message], day: datetime.date | None = None) -> list[Notification]:
    """Notification rows for the messages, plus a copy for the deputy of anyone away today,
    each with how it will be e-mailed (three queries, whatever the number of messages)."""

    if not messages:
        return []
    today = day or timezone.localdate()
    network_ids = {m.network_id for m in messages if m.network_id}
    deputies = deputies_on(today, network_ids) if network_ids else {}
    people = {m.recipient_id for m in messages} | set(deputies.values())
    users = {
        row["id"]: row
        for row in User.objects.filter(id__in=people).values(
            "id",
            "email",
            "first_name",
            "last_name",
            "username",
            "is_active",
            "notification_preference__email",
        )
    }
    default = email_default()

    def email_state(user_id: int, away: bool) -> str:
        user = users.get(user_id)
        if user is None or not user["email"] or not user["is_active"] or away:
            return Notification.Email.NONE
        if (user["notification_preference__email"] or default) == Preference.Delivery.IMMEDIATE:
            return Notification.Email.PENDING
        return Notification.Email.DIGEST

    def name(user_id: int) -> str:
        user: Mapping[str, Any] = users.get(user_id) or {}
        full = f"{user.get('first_name', '')} {user.get('last_name', '')}".strip()
        return full or user.get("username", "a colleague")

    rows = []
    for m in messages:
        if m.recipient_id not in users or not users[m.recipient_id]["is_active"]:
            continue
        deputy = deputies.get((m.network_id, m.recipient_id)) if m.network_id else None
        common = dict(
            network_id=m.network_id,
            patient_id=m.patient_id,
            kind=m.kind,
            subject_type=m.subject_type,
            subject_id=m.subject_id,
            occurrence=m.occurrence,
            body=m.body,
            email_body=m.email_body,
            url=m.url,
        )
        rows.append(
            Notification(
                recipient_id=m.recipient_id,
                key=notification_key(
                    m.kind, m.subject_type, m.subject_id, m.recipient_id, m.occurrence
                ),
                title=one_line(m.title)[:200],
                email=email_state(m.recipient_id, away=deputy is not None)
                if m.emailed
                else Notification.Email.NONE,
                **common,
            )
        )
        if deputy is not None and deputy != m.recipient_id:
            rows.append(
                Notification(
                    recipient_id=deputy,
                    key=notification_key(
                        m.kind, m.subject_type, m.subject_id, deputy, m.occurrence
                    ),
                    covering_for_id=m.recipient_id,
                    title=one_line(f"Covering for {name(m.recipient_id)}: {m.title}")[:200],
                    email=email_state(deputy, away=False),
                    **common,
                )
            )
    return rows


def _email_soon(rows: list[Notification]) -> None:
    if any(row.email == Notification.Email.PENDING for row in rows):
        from .tasks import email_pending

        # robust: with the broker down the request still succeeds; the e-mail sweep sends
        # whatever is pending a few minutes later.
        transaction.on_commit(lambda: email_pending.delay(), robust=True)


@transaction.atomic
def deliver(messages: list[Message], day: datetime.date | None = None) -> int:
    """Insert the notifications in bulk, skipping any already delivered (their keys exist).
    `day` decides who is away (today by default). Returns how many rows were offered;
    duplicates are silently ignored by the database."""
    rows = _rows(messages, day)
    if rows:
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        _email_soon(rows)
    return len(rows)


def notification_send(
    *,
    recipient: Person,
    kind: str,
    title: str,
    subject_type: str = "",
    subject_id: int | None = None,
    occurrence: str = "",
    body: str = "",
    url: str = "",
    network: Model | int | None = None,
    patient: Model | int | None = None,
) -> Notification | None:
    """Deliver one notification (and the deputy's copy). Returns the recipient's notification,
    or None if it had already been delivered."""
    message = Message(
        recipient_id=recipient.pk,
        kind=kind,
        title=title,
        subject_type=subject_type,
        subject_id=subject_id,
        occurrence=occurrence,
        body=body,
        url=url,
        network_id=network.pk if isinstance(network, Model) else network,
        patient_id=patient.pk if isinstance(patient, Model) else patient,
    )
    created = None
    with transaction.atomic():
        rows = _rows([message])
        for row in rows:
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
            except IntegrityError:  # the unique key: already delivered
                continue
            if row.recipient_id == recipient.pk:
                created = row
        _email_soon([row for row in rows if row.pk])
    return created


@attributed
def notification_mark_read(*, notification: Notification, by: Person) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: Person) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preference_set(*, user: Person, email: str) -> Preference:
    from django.core.exceptions import ValidationError

    if email not in Preference.Delivery.values:
        raise ValidationError({"email": ["Choose straight away or a daily digest."]})
    preference, _ = Preference.objects.update_or_create(user=user, defaults={"email": email})
    return preference


# --- e-mail ---------------------------------------------------------------------------------


def _absolute(url: str) -> str:
    return settings.ICN_SITE_URL.rstrip("/") + url if url.startswith("/") else url


def email_identifiable() -> bool:
    """Whether e-mail may carry patient data (NOTIFY_EMAIL_IDENTIFIABLE, e.g. NHSmail)."""
    return settings.ICN_NOTIFY["EMAIL_IDENTIFIABLE"]


def _email_line(notification: Notification) -> str:
    """One notification in an e-mail. Unless the deployment's mail is approved for patient
    data (EMAIL_IDENTIFIABLE, e.g. NHSmail to NHSmail), no name leaves ICN: the e-mail says
    what kind of thing happened and links to it."""

    if email_identifiable():
        text = notification.title + (f"\n  {notification.body}" if notification.body else "")
        if notification.email_body:
            text += f"\n\n{notification.email_body}\n"
    else:
        text = label(notification.kind)
        if notification.network is not None:
            text += f" ({notification.network.name})"
    return text + (f"\n  {_absolute(notification.url)}" if notification.url else "")


def _footer() -> str:
    return (
        "\n\n--\nICN. Change how you get these e-mails: "
        + _absolute("/notifications/settings/")
        + "\nThis message was sent automatically; please do not reply."
    )


def _transient(exc: Exception) -> bool:
    """A mail server that is down or busy: worth retrying. Anything else (a message Python's
    e-mail package refuses to build, e.g. a line break in a header; an address the server
    refuses for good) fails the same way every time."""
    if isinstance(exc, SMTPRecipientsRefused):
        return any(code < 500 for code, _ in exc.recipients.values())
    return isinstance(exc, SMTPException | OSError)


def _tell_admins_email_failed(notification: Notification, exc: Exception) -> None:
    """A logged ERROR and an e-mail to ADMINS. Neither carries the title or the error's text,
    which may hold a patient's name."""
    logger.error(
        "E-mail of notification %s (%s, to user %s) failed with %s; marked failed, not retried.",
        notification.pk,
        notification.kind,
        notification.recipient_id,
        type(exc).__name__,
    )
    mail_admins(
        "An e-mail notification could not be sent",
        f"Notification {notification.pk} ({notification.kind}) to user "
        f"{notification.recipient_id} could not be e-mailed: {type(exc).__name__}.\n"
        "It is marked failed and will not be retried; the e-mails after it were sent. The "
        "recipient still has it in ICN's notifications.",
        fail_silently=True,  # the mail server may be the trouble; the ERROR is logged anyway
    )


def email_one_pending() -> str | None:
    """Send the oldest pending e-mail, if any. The row is locked while it is sent (another
    worker skips it) and marked sent in the same transaction. Returns "sent", "failed", or None
    when none is left. If the mail server is unreachable, nothing is marked and the task
    retries with back-off; a message that can never be sent is marked failed and an admin is
    told, so that one poison message never holds up the others."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(email=Notification.Email.PENDING)
            .select_related("recipient", "network")
            .order_by("created_at", "id")
            .first()
        )
        if notification is None:
            return None

        subject = notification.title if email_identifiable() else f"ICN: {label(notification.kind)}"
        try:
            EmailMessage(
                subject=one_line(subject)[:150],
                body=_email_line(notification) + _footer(),
                to=[notification.recipient.email],
            ).send()
        except Exception as exc:
            if _transient(exc):
                raise
            notification.email = Notification.Email.FAILED
            notification.save(update_fields=["email"])
            failed = exc
        else:
            notification.email = Notification.Email.SENT
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["email", "emailed_at"])
            return Notification.Email.SENT
    _tell_admins_email_failed(notification, failed)
    return Notification.Email.FAILED


def digest_send(*, user_id: int, day: datetime.date) -> Digest | None:
    """The morning digest for one person: everything waiting for it, in one e-mail. Once per
    person per day (unique constraint); None if already sent or nothing is waiting."""
    with transaction.atomic():
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None or not user.email:
            return None
        items = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(recipient_id=user_id, email=Notification.Email.DIGEST)
            .select_related("network")
            .order_by("created_at", "id")
        )
        if not items:
            return None
        try:
            with transaction.atomic():
                digest = Digest.objects.create(recipient=user, day=day, items=len(items))
        except IntegrityError:  # already sent today (a second beat, a retried task)
            return None
        lines = "\n\n".join(_email_line(n) for n in items)
        EmailMessage(
            subject=f"ICN: {len(items)} update{'s' if len(items) != 1 else ''} for {day:%A %d %B}",
            body=f"Good morning. Since your last digest:\n\n{lines}{_footer()}",
            to=[user.email],
        ).send()
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(
            email=Notification.Email.SENT, emailed_at=timezone.now(), digest=digest
        )
    return digest
