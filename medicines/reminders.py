"""Reminders about follow-up visits: the visitor hears on the morning the visit is due.
Delivered through `notifications` (see `notifications/sweeping.py`)."""

from datetime import datetime

from django.db.models import CharField, OuterRef
from django.db.models.functions import Cast
from django.utils import timezone

from actions.models import Action
from actions.reminders import ACTION_FIELDS, owners
from core.workdays import previous_working_day
from notifications.services import Message, deliver
from notifications.sweeping import (
    Directory,
    Sweep,
    already_sent,
    in_working_hours,
    patient_name,
    patient_url,
)


def sweep_follow_ups_due(now: datetime) -> int:
    """Follow-up visits due today (or over the weekend or bank holiday just gone): the
    visitor is reminded on the morning of a working day."""
    if not in_working_hours(now):
        return 0
    today = timezone.localdate(now)
    due_text = Cast(OuterRef("due_on"), output_field=CharField())
    rows = list(
        Action.objects.filter(
            status=Action.Status.OPEN,
            source=Action.Source.VISIT,
            due_on__gt=previous_working_day(today),
            due_on__lte=today,
        )
        .exclude(already_sent("follow_up_due", "action", due_text))
        .values(*ACTION_FIELDS)
    )
    if not rows:
        return 0
    directory = Directory.load({r["network_id"] for r in rows})
    messages = [
        Message(
            recipient_id=user_id,
            kind="follow_up_due",
            title=f"Follow-up visit due: {patient_name(row)}",
            subject_type="action",
            subject_id=row["pk"],
            occurrence=str(row["due_on"]),
            body=f"{row['title']}. Due {row['due_on']:%a %d %b}.",
            url=patient_url(row["patient_id"]),
            network_id=row["network_id"],
            patient_id=row["patient_id"],
        )
        for row in rows
        for user_id in owners(row, directory)
    ]
    return deliver(messages, today)


# The `reminder_sweeps` port (settings.ICN_PORTS): each sweep by the name it reports under.
SWEEPS: dict[str, Sweep] = {"follow_ups": sweep_follow_ups_due}
