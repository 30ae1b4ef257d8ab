"""Sweeps: what must be sent is derived from the database, never only from a message.

Each sweep selects the subjects (tasks, referrals, meetings) that are due a notification and
have none yet for this occurrence (an anti-join on the notification's subject, kind and
occurrence, served by an index), builds the messages in the network's vocabulary and inserts
them in bulk. The notification's unique key settles any race: a sweep run twice, by two beat
processes, or after a lost message inserts nothing the second time.

Thresholds are settings (`ICN_NOTIFY`). Working days are England and Wales'; reminders about
tasks and referrals go out on working days within working hours (Europe/London)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db.models import CharField, Exists, F, OuterRef, Q
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from core.workdays import is_working_day, previous_working_day, working_days_cutoff

from .models import Notification
from .services import Message, deliver


def _config(name: str):
    return settings.ICN_NOTIFY[name]


def in_working_hours(now: datetime) -> bool:
    local = timezone.localtime(now)
    start, end = _config("WORKING_HOURS")
    return is_working_day(local.date()) and start <= local.hour < end


def _sent(kind: str, subject_type: str, occurrence=None) -> Exists:
    """Has a notification of this kind gone out for the outer row (and occurrence)?"""
    sent = Notification.objects.filter(
        subject_type=subject_type, subject_id=OuterRef("pk"), kind=kind
    )
    if occurrence is not None:
        sent = sent.filter(occurrence=occurrence)
    return Exists(sent)


@dataclass
class Directory:
    """Who holds which role in the networks a sweep touches, loaded once per sweep."""

    network_ids: set[int]
    networks: dict = field(default_factory=dict)
    by_role: dict = field(default_factory=lambda: defaultdict(list))
    active: set = field(default_factory=set)

    @classmethod
    def load(cls, network_ids) -> "Directory":
        from networks.models import Membership, Network

        directory = cls(set(network_ids))
        if not directory.network_ids:
            return directory
        directory.networks = {n.pk: n for n in Network.objects.filter(pk__in=network_ids)}
        for network_id, role, user_id in Membership.objects.filter(
            network_id__in=network_ids, is_active=True, user__is_active=True
        ).values_list("network_id", "role", "user_id"):
            directory.by_role[(network_id, role)].append(user_id)
            directory.active.add((network_id, user_id))
        return directory

    def holders(self, network_id: int, role: str) -> list[int]:
        return self.by_role.get((network_id, role), [])

    def chairs(self, network_id: int) -> list[int]:
        from networks.roles import Role

        return self.holders(network_id, Role.CHAIR)

    def is_member(self, network_id: int, user_id: int | None) -> bool:
        return (network_id, user_id) in self.active

    def terms(self, network_id: int) -> dict[str, str]:
        return self.networks[network_id].terms

    def role_label(self, network_id: int, role: str) -> str:
        return self.networks[network_id].role_label(role)

    def serving(self, network_id: int, service: str) -> list[int]:
        from referrals.selectors import service_directory

        roles = service_directory(self.networks[network_id])[service].serving_roles
        return sorted({u for role in roles for u in self.holders(network_id, role)})


def _patient_url(patient_id: int, anchor: str = "") -> str:
    # reverse() once, not per row: a sweep may build tens of thousands of these.
    return _patient_url_pattern().replace("987654321", str(patient_id)) + anchor


@lru_cache(maxsize=1)
def _patient_url_pattern() -> str:
    return reverse("patients:detail", args=[987654321])


def _name(row: dict) -> str:
    return f"{row['patient__given_name']} {row['patient__family_name']}"


_ACTION_FIELDS = (
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


def _owners(row: dict, directory: Directory) -> list[int]:
    """Who owns a task: its assignee while a member (else the chairs), or the role queue."""
    if row["assignee_id"] is not None:
        if directory.is_member(row["network_id"], row["assignee_id"]):
            return [row["assignee_id"]]
        return directory.chairs(row["network_id"])
    return directory.holders(row["network_id"], row["assignee_role"])


def _owner_text(row: dict, directory: Directory) -> str:
    if row["assignee_id"] is not None:
        name = f"{row['assignee__first_name']} {row['assignee__last_name']}".strip()
        return name or row["assignee__username"]
    return f"the {directory.role_label(row['network_id'], row['assignee_role']).lower()} queue"


# --- tasks ------------------------------------------------------------------------------------


def assignment_messages(rows: list[dict], directory: Directory) -> list[Message]:
    """A new task: its assignee hears at once; a role-queue task reaches everyone in the role."""
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
            recipients, kind = _owners(row, directory), "action_queued"
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
                    body=f"For {_name(row)}. {due}",
                    url=url,
                    network_id=row["network_id"],
                    patient_id=row["patient_id"],
                )
            )
    return messages


def sweep_assignments(now: datetime) -> int:
    """New tasks whose assignment notification never went out (the broker was down when the
    task was saved): deliver it now. Looks back `ASSIGNMENT_LOOKBACK_HOURS`."""
    from actions.models import Action

    since = now - timedelta(hours=_config("ASSIGNMENT_LOOKBACK_HOURS"))
    rows = list(
        Action.objects.filter(status=Action.Status.OPEN, created_at__gte=since)
        .exclude(assignee_id=F("created_by_id"))
        .exclude(_sent("action_assigned", "action"))
        .exclude(_sent("action_queued", "action"))
        .values(*_ACTION_FIELDS, "created_by_id")
    )
    if not rows:
        return 0
    directory = Directory.load({r["network_id"] for r in rows})
    return deliver(assignment_messages(rows, directory), timezone.localdate(now))


def sweep_overdue_actions(now: datetime) -> int:
    """Overdue tasks: the owner is reminded after `OVERDUE_REMIND_WORKING_DAYS` working days,
    the network's chairs after `OVERDUE_ESCALATE_WORKING_DAYS`. Once per task and due date."""
    from actions.models import Action

    if not in_working_hours(now):
        return 0
    today = timezone.localdate(now)
    due_text = Cast(OuterRef("due_on"), output_field=CharField())
    open_tasks = Action.objects.filter(status=Action.Status.OPEN)
    remind = list(
        open_tasks.filter(
            due_on__lte=working_days_cutoff(today, _config("OVERDUE_REMIND_WORKING_DAYS"))
        )
        .exclude(_sent("action_overdue", "action", due_text))
        .values(*_ACTION_FIELDS)
    )
    escalate = list(
        open_tasks.filter(
            due_on__lte=working_days_cutoff(today, _config("OVERDUE_ESCALATE_WORKING_DAYS"))
        )
        .exclude(_sent("action_escalated", "action", due_text))
        .values(*_ACTION_FIELDS)
    )
    if not remind and not escalate:
        return 0
    directory = Directory.load({r["network_id"] for r in remind + escalate})
    url = reverse("actions:my_work")
    messages = []
    for row in remind:
        for user_id in _owners(row, directory):
            messages.append(
                Message(
                    recipient_id=user_id,
                    kind="action_overdue",
                    title=f"Overdue: {row['title']}",
                    subject_type="action",
                    subject_id=row["pk"],
                    occurrence=str(row["due_on"]),
                    body=f"For {_name(row)}. It was due {row['due_on']:%a %d %b}.",
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
                        f"For {_name(row)}, with {_owner_text(row, directory)}; due "
                        f"{row['due_on']:%a %d %b}. Sent to you as {chair}."
                    ),
                    url=_patient_url(row["patient_id"], "#tasks"),
                    network_id=row["network_id"],
                    patient_id=row["patient_id"],
                )
            )
    return deliver(messages, today)


def sweep_follow_ups_due(now: datetime) -> int:
    """Follow-up visits due today (or over the weekend or bank holiday just gone): the
    visitor is reminded on the morning of a working day."""
    from actions.models import Action

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
        .exclude(_sent("follow_up_due", "action", due_text))
        .values(*_ACTION_FIELDS)
    )
    if not rows:
        return 0
    directory = Directory.load({r["network_id"] for r in rows})
    messages = [
        Message(
            recipient_id=user_id,
            kind="follow_up_due",
            title=f"Follow-up visit due: {_name(row)}",
            subject_type="action",
            subject_id=row["pk"],
            occurrence=str(row["due_on"]),
            body=f"{row['title']}. Due {row['due_on']:%a %d %b}.",
            url=_patient_url(row["patient_id"]),
            network_id=row["network_id"],
            patient_id=row["patient_id"],
        )
        for row in rows
        for user_id in _owners(row, directory)
    ]
    return deliver(messages, today)


# --- referrals ------------------------------------------------------------------------------


def _start_of_day_after(day) -> datetime:
    local = datetime.combine(day + timedelta(days=1), datetime.min.time())
    return timezone.make_aware(local)


def sweep_untriaged_referrals(now: datetime) -> int:
    """Referrals still new: routine ones reminded to the service after
    `REFERRAL_REMIND_WORKING_DAYS` working days and escalated to the chairs after
    `REFERRAL_ESCALATE_WORKING_DAYS`; urgent ones after `URGENT_REMIND_HOURS` and
    `URGENT_ESCALATE_HOURS`. Once per referral and stage."""
    from referrals.models import Referral, Urgency

    if not in_working_hours(now):
        return 0
    today = timezone.localdate(now)

    def made_before(working_days: int, hours: int) -> Q:
        routine_cutoff = _start_of_day_after(working_days_cutoff(today, working_days))
        return Q(urgency=Urgency.ROUTINE, created_at__lt=routine_cutoff) | Q(
            urgency=Urgency.URGENT, created_at__lte=now - timedelta(hours=hours)
        )

    fields = (
        "pk",
        "network_id",
        "patient_id",
        "patient__given_name",
        "patient__family_name",
        "service",
        "urgency",
        "created_at",
    )
    waiting = Referral.objects.filter(status=Referral.Status.NEW)
    remind = list(
        waiting.filter(
            made_before(_config("REFERRAL_REMIND_WORKING_DAYS"), _config("URGENT_REMIND_HOURS"))
        )
        .exclude(_sent("referral_untriaged", "referral"))
        .values(*fields)
    )
    escalate = list(
        waiting.filter(
            made_before(_config("REFERRAL_ESCALATE_WORKING_DAYS"), _config("URGENT_ESCALATE_HOURS"))
        )
        .exclude(_sent("referral_escalated", "referral"))
        .values(*fields)
    )
    if not remind and not escalate:
        return 0
    directory = Directory.load({r["network_id"] for r in remind + escalate})
    services = dict(Referral._meta.get_field("service").choices)
    messages = []
    for stage, rows in (("referral_untriaged", remind), ("referral_escalated", escalate)):
        for row in rows:
            service = services[row["service"]]
            urgent = "Urgent referral" if row["urgency"] == Urgency.URGENT else "Referral"
            made = timezone.localtime(row["created_at"])
            if stage == "referral_untriaged":
                recipients = directory.serving(row["network_id"], row["service"])
                title = f"{urgent} waiting for triage: {service}, {_name(row)}"
                url = reverse("referrals:inbox_service", args=[row["service"]])
                body = f"Made {made:%a %d %b %H:%M}."
            else:
                recipients = directory.chairs(row["network_id"])
                chair = directory.terms(row["network_id"])["chair"]
                title = f"{urgent} still not triaged: {service}, {_name(row)}"
                url = _patient_url(row["patient_id"], "#referrals")
                body = f"Made {made:%a %d %b %H:%M}. Sent to you as {chair}."
            messages += [
                Message(
                    recipient_id=user_id,
                    kind=stage,
                    title=title,
                    subject_type="referral",
                    subject_id=row["pk"],
                    body=body,
                    url=url,
                    network_id=row["network_id"],
                    patient_id=row["patient_id"],
                )
                for user_id in recipients
            ]
    return deliver(messages, today)


# --- meetings ---------------------------------------------------------------------------------


def meeting_reminder_at(starts_at: datetime, stage: str) -> datetime:
    """When the `stage` reminder for a meeting is due. "24h" is the same time on the clock the
    day before (a meeting on the Monday after the clocks change is announced at the same local
    time on Sunday, 23 or 25 real hours before); "1h" is one real hour before."""
    if stage == "1h":
        return starts_at - timedelta(hours=1)
    local = timezone.localtime(starts_at)
    day_before = (local - timedelta(days=1)).replace(tzinfo=None)
    return timezone.make_aware(day_before)


MEETING_STAGES = ("24h", "1h")


def sweep_meetings(now: datetime) -> int:
    """Before each meeting (24 h and 1 h): each member hears which of their people are on the
    agenda, and the chair gets the pack. Once per meeting, stage and start time (a moved
    meeting is announced again)."""
    from huddles.models import AgendaItem, Meeting
    from huddles.services import agenda_build
    from patients.models import CareTeamMember, Patient

    meetings = [
        meeting
        for meeting in Meeting.objects.filter(
            status=Meeting.Status.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(hours=26),
        ).select_related("network")
        if any(now >= meeting_reminder_at(meeting.starts_at, s) for s in MEETING_STAGES)
    ]
    if not meetings:
        return 0
    sent = set(
        Notification.objects.filter(
            subject_type="meeting",
            subject_id__in=[m.pk for m in meetings],
            kind="meeting_pack",
        ).values_list("subject_id", "occurrence")
    )
    directory = Directory.load({m.network_id for m in meetings})
    messages = []
    for meeting in meetings:
        stages = [
            s
            for s in MEETING_STAGES
            if now >= meeting_reminder_at(meeting.starts_at, s)
            and (meeting.pk, f"{s}:{meeting.starts_at:%Y%m%dT%H%M%z}") not in sent
        ]
        if not stages:
            continue
        stage = stages[-1]  # late sweeps send the nearest reminder only
        occurrence = f"{stage}:{meeting.starts_at:%Y%m%dT%H%M%z}"
        agenda_build(meeting=meeting)
        items = list(
            AgendaItem.objects.filter(meeting=meeting, status=AgendaItem.Status.PENDING)
            .select_related("patient")
            .order_by("position", "id")
        )
        terms = directory.terms(meeting.network_id)
        when = timezone.localtime(meeting.starts_at)
        when_text = f"{when:%a %d %b} at {when:%H:%M}"
        agenda_url = reverse("huddles:agenda", args=[meeting.pk])
        patient_ids = [item.patient_id for item in items]
        involved: dict[int, set[int]] = defaultdict(set)
        for patient_id, user_id in CareTeamMember.objects.filter(
            patient_id__in=patient_ids, membership__is_active=True
        ).values_list("patient_id", "membership__user_id"):
            involved[user_id].add(patient_id)
        for patient_id, user_id in Patient.objects.filter(
            pk__in=patient_ids, key_worker__is_active=True
        ).values_list("pk", "key_worker__user_id"):
            involved[user_id].add(patient_id)
        from actions.models import Action

        for patient_id, user_id in Action.objects.filter(
            patient_id__in=patient_ids, status=Action.Status.OPEN, assignee__isnull=False
        ).values_list("patient_id", "assignee_id"):
            involved[user_id].add(patient_id)
        names = {item.patient_id: item.patient.full_name for item in items}
        for user_id, people in involved.items():
            if not directory.is_member(meeting.network_id, user_id):
                continue
            listed = sorted(names[p] for p in people)
            messages.append(
                Message(
                    recipient_id=user_id,
                    kind="meeting_items",
                    title=(
                        f"{len(listed)} of your people at the {terms['meeting']} {when_text}"
                        if len(listed) != 1
                        else f"{listed[0]} is on the {terms['meeting']} agenda, {when_text}"
                    ),
                    subject_type="meeting",
                    subject_id=meeting.pk,
                    occurrence=occurrence,
                    body="On the agenda: " + ", ".join(listed) + ".",
                    url=agenda_url,
                    network_id=meeting.network_id,
                )
            )
        chairs = (
            [meeting.chair_id]
            if meeting.chair_id and directory.is_member(meeting.network_id, meeting.chair_id)
            else directory.chairs(meeting.network_id)
        )
        pack = (
            "\n".join(
                f"{i}. {item.patient.full_name}: {item.reason}" for i, item in enumerate(items, 1)
            )
            or "Nobody is on the agenda yet."
        )
        messages += [
            Message(
                recipient_id=user_id,
                kind="meeting_pack",
                title=f"{terms['meeting'].capitalize()} pack, {when_text}: {len(items)} people",
                subject_type="meeting",
                subject_id=meeting.pk,
                occurrence=occurrence,
                body=pack,
                url=agenda_url,
                network_id=meeting.network_id,
            )
            for user_id in chairs
        ]
    return deliver(messages, timezone.localdate(now))


def minutes_messages(meeting) -> list[Message]:
    """After a meeting closes: the minutes to everyone present and to the care teams of the
    people discussed."""
    from huddles.models import AgendaItem, Attendance
    from patients.models import CareTeamMember

    directory = Directory.load({meeting.network_id})
    recipients = set(
        Attendance.objects.filter(meeting=meeting, present=True).values_list("user_id", flat=True)
    )
    discussed = AgendaItem.objects.filter(meeting=meeting, status=AgendaItem.Status.DISCUSSED)
    recipients |= set(
        CareTeamMember.objects.filter(
            patient_id__in=discussed.values("patient_id"), membership__is_active=True
        ).values_list("membership__user_id", flat=True)
    )
    if meeting.chair_id:
        recipients.add(meeting.chair_id)
    terms = directory.terms(meeting.network_id)
    when = timezone.localtime(meeting.starts_at)
    count = discussed.count()
    return [
        Message(
            recipient_id=user_id,
            kind="meeting_minutes",
            title=f"Minutes: {terms['meeting']} on {when:%a %d %b}",
            subject_type="meeting",
            subject_id=meeting.pk,
            body=f"{count} {'person' if count == 1 else 'people'} discussed.",
            url=reverse("huddles:minutes", args=[meeting.pk]),
            network_id=meeting.network_id,
        )
        for user_id in sorted(recipients)
        if directory.is_member(meeting.network_id, user_id)
    ]


def sweep_minutes(now: datetime) -> int:
    """Minutes of meetings closed recently whose notifications never went out."""
    from huddles.models import Meeting

    since = now - timedelta(hours=_config("ASSIGNMENT_LOOKBACK_HOURS"))
    meetings = Meeting.objects.filter(status=Meeting.Status.CLOSED, closed_at__gte=since).exclude(
        _sent("meeting_minutes", "meeting")
    )
    day = timezone.localdate(now)
    return sum(deliver(minutes_messages(meeting), day) for meeting in meetings)


def sweep_all(now: datetime | None = None) -> dict[str, int]:
    """Every reminder sweep, in order. Safe to run at any time and as often as wanted."""
    now = now or timezone.now()
    return {
        "assignments": sweep_assignments(now),
        "overdue": sweep_overdue_actions(now),
        "follow_ups": sweep_follow_ups_due(now),
        "referrals": sweep_untriaged_referrals(now),
        "meetings": sweep_meetings(now),
        "minutes": sweep_minutes(now),
    }
