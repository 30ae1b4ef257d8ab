"""In-app notifications. Each has a unique key, so a retried or repeated delivery is a no-op."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Notification


def notification_send(
    *,
    recipient,
    key: str,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    network=None,
    patient=None,
) -> Notification | None:
    """Create the notification unless one with this key exists. Returns it, or None if it
    had already been sent."""
    try:
        with transaction.atomic():
            return Notification.objects.create(
                recipient=recipient,
                key=key,
                kind=kind,
                title=title[:200],
                body=body,
                url=url,
                network=network,
                patient=patient,
            )
    except IntegrityError:  # the unique key: already delivered
        return None


def notification_mark_read(*, notification: Notification, by) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
