"""Reminders about tasks: a new task to its owner, and an overdue one to its owner and then
the chairs. Delivered through `notifications` (see `notifications/sweeping.py`)."""

from datetime import datetime, timedelta

from django.db.models import CharField, F, OuterRef
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from core.workdays import working_days_cutoff
from notifications.services import Message, deliver
from notifications.sweeping import (
    Directory,
    Row,
    Sweep,
    already_sent,
    config,
    in_working_hours,
    patient_name,
    patient_url,
)

from .models import Action

ACTION_FIELDS = (
    "pk",
    "network_id",
    "patient_id",
    "patient__given_name",
    "patient__family_name",
    "title",
    "due_on",
    "assignee_id",
    "assignee_role",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__username",
)


def owners(row: Row, directory: Directory) -> list[int]:
    """Who owns a task: its assignee while a member (else the chairs), or the role queue."""
    if row["assignee_id"] is not None:
        if directory.is_member(row["network_id"], row["assignee_id"]):
            return [row["assignee_id"]]
        return directory.chairs(row["network_id"])
    return directory.holders(row["network_id"], row["assignee_role"])


def _owner_text(row: Row, directory: Directory) -> str:
    if row["assignee_id"] is not None:
        name = f"{row['assignee__first_name']} {row['assignee__last_name']}".strip()
        return name or str(row["assignee__username"])
    return f"the {directory.role_label(row['network_id'], row['assignee_role']).lower()} queue"


def assignment_messages(
    rows: list[Row], directory: Directory, occurrence: str = ""
) -> list[Message]:
    """A new task: its assignee hears at once; a role-queue task reaches everyone in the role.
    `occurrence`: a reassignment (each one is told, even to someone who had it before)."""
    messages = []
    for row in rows:
        due = f"Due {row['due_on']:%a %d %b}."
        url = reverse("actions:my_work")
        if row["assignee_id"] is not None:
            if row["assignee_id"] == row.get("created_by_id"):
                continue
            recipients, kind = [row["assignee_id"]], "action_assigned"
            title = f"New task: {row['title']}"
        else:
            recipients, kind = owners(row, directory), "action_queued"
            queue = directory.role_label(row["network_id"], row["assignee_role"]).lower()
            title = f"New in the {queue} queue: {row['title']}"
        for user_id in recipients:
            if user_id == row.get("created_by_id"):
                continue
            messages.append(
                Message(
                    recipient_id=user_id,
                    kind=kind,
                    title=title,
                    subject_type="action",
                    subject_id=row["pk"],
                    occurrence=occurrence,
                    body=f"For {patient_name(row)}. {due}",
                    url=url,
                    network_id=row["network_id"],
                    patient_id=row["patient_id"],
                )
            )
    return messages


def notify_assigned(action_id: int, *, occurrence: str = "", by_id: int | None = None) -> int:
    """Tell a new (or reassigned: `occurrence`) open task's owner or role queue at once;
    nothing for a task made or passed to oneself (`by_id`), or one already done."""
    rows = list(
        Action.objects.filter(pk=action_id, status=Action.Status.OPEN).values(
            *ACTION_FIELDS, "created_by_id"
        )
    )
    if not rows:
        return 0
    if by_id is not None:
        rows[0]["created_by_id"] = by_id
    directory = Directory.load({rows[0]["network_id"]})
    return deliver(assignment_messages(rows, directory, occurrence))


def sweep_assignments(now: datetime) -> int:
    """New tasks whose assignment notification never went out (the broker was down when the
    task was saved): deliver it now. Looks back `ASSIGNMENT_LOOKBACK_HOURS`."""
    since = now - timedelta(hours=config("ASSIGNMENT_LOOKBACK_HOURS"))
    rows = list(
        Action.objects.filter(status=Action.Status.OPEN, created_at__gte=since)
        .exclude(assignee_id=F("created_by_id"))
        .exclude(already_sent("action_assigned", "action"))
        .exclude(already_sent("action_queued", "action"))
        .values(*ACTION_FIELDS, "created_by_id")
    )
    if not rows:
        return 0
    directory = Directory.load({r["network_id"] for r in rows})
    return deliver(assignment_messages(rows, directory), timezone.localdate(now))


def sweep_overdue_actions(now: datetime) -> int:
    """Overdue tasks: the owner is reminded after `OVERDUE_REMIND_WORKING_DAYS` working days,
    the network's chairs after `OVERDUE_ESCALATE_WORKING_DAYS`. Once per task and due date."""
    if not in_working_hours(now):
        return 0
    today = timezone.localdate(now)
    due_text = Cast(OuterRef("due_on"), output_field=CharField())
    open_tasks = Action.objects.filter(status=Action.Status.OPEN)
    remind = list(
        open_tasks.filter(
            due_on__lte=working_days_cutoff(today, config("OVERDUE_REMIND_WORKING_DAYS"))
        )
        .exclude(already_sent("action_overdue", "action", due_text))
        .values(*ACTION_FIELDS)
    )
    escalate = list(
        open_tasks.filter(
            due_on__lte=working_days_cutoff(today, config("OVERDUE_ESCALATE_WORKING_DAYS"))
        )
        .exclude(already_sent("action_escalated", "action", due_text))
        .values(*ACTION_FIELDS)
    )
    if not remind and not escalate:
        return 0
    directory = Directory.load({r["network_id"] for r in remind + escalate})
    url = reverse("actions:my_work")
    messages = []
    for row in remind:
        for user_id in owners(row, directory):
            messages.append(
                Message(
                    recipient_id=user_id,
                    kind="action_overdue",
                    title=f"Overdue: {row['title']}",
                    subject_type="action",
                    subject_id=row["pk"],
                    occurrence=str(row["due_on"]),
                    body=f"For {patient_name(row)}. It was due {row['due_on']:%a %d %b}.",
                    url=url,
                    network_id=row["network_id"],
                    patient_id=row["patient_id"],
                )
            )
    for row in escalate:
        chair = directory.terms(row["network_id"])["chair"]
        for user_id in directory.chairs(row["network_id"]):
            messages.append(
                Message(
                    recipient_id=user_id,
                    kind="action_escalated",
                    title=f"Still overdue: {row['title']}",
                    subject_type="action",
                    subject_id=row["pk"],
                    occurrence=str(row["due_on"]),
                    body=(
                        f"For {patient_name(row)}, with {_owner_text(row, directory)}; due "
                        f"{row['due_on']:%a %d %b}. Sent to you as {chair}."
                    ),
                    url=patient_url(row["patient_id"], "#tasks"),
                    network_id=row["network_id"],
                    patient_id=row["patient_id"],
                )
            )
    return deliver(messages, today)


# The `reminder_sweeps` port (settings.ICN_PORTS): each sweep by the name it reports under.
SWEEPS: dict[str, Sweep] = {
    "assignments": sweep_assignments,
    "overdue": sweep_overdue_actions,
}
