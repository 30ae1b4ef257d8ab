"""Reminders about meetings: before each one, members hear which of their people are on the
agenda and the chair gets the pack; after it closes, the minutes go out. Delivered through
`notifications` (see `notifications/sweeping.py`)."""

from collections import defaultdict
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from actions.models import Action
from notifications.models import Notification
from notifications.services import Message, deliver
from notifications.sweeping import Directory, Sweep, already_sent, config
from patients.models import CareTeamMember, Patient

from .models import AgendaItem, Attendance, Meeting
from .selectors import MEETING_ROLES
from .services import agenda_build


def _taking_part(directory: Directory, network_id: int) -> set[int]:
    """Members whose role takes part in the network's meetings (the clinical roles and the
    PIC): only they are sent links to the agenda and the minutes, which refuse the others
    (a manager or IG lead on a care team or marked present reads no records)."""
    return {u for role in MEETING_ROLES for u in directory.holders(network_id, role)}


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


def _involved(patient_ids: list[int]) -> dict[int, set[int]]:
    """Each member's people among these: on the care team, key worker, or with an open task."""
    involved: dict[int, set[int]] = defaultdict(set)
    for patient_id, user_id in CareTeamMember.objects.filter(
        patient_id__in=patient_ids, membership__is_active=True
    ).values_list("patient_id", "membership__user_id"):
        involved[user_id].add(patient_id)
    for patient_id, user_id in Patient.objects.filter(
        pk__in=patient_ids, key_worker__is_active=True
    ).values_list("pk", "key_worker__user_id"):
        involved[user_id].add(patient_id)
    for patient_id, user_id in Action.objects.filter(
        patient_id__in=patient_ids, status=Action.Status.OPEN, assignee__isnull=False
    ).values_list("patient_id", "assignee_id"):
        involved[user_id].add(patient_id)
    return involved


def sweep_meetings(now: datetime) -> int:
    """Before each meeting (24 h and 1 h): each member hears which of their people are on the
    agenda, and the chair gets the pack. Once per meeting, stage and start time (a moved
    meeting is announced again)."""
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
    messages: list[Message] = []
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
        agenda_build(meeting=meeting, by=None, via="beat:sweep_meetings")
        items = list(
            AgendaItem.objects.filter(meeting=meeting, status=AgendaItem.Status.PENDING)
            .select_related("patient")
            .order_by("position", "id")
        )
        terms = directory.terms(meeting.network_id)
        when = timezone.localtime(meeting.starts_at)
        when_text = f"{when:%a %d %b} at {when:%H:%M}"
        agenda_url = reverse("huddles:agenda", args=[meeting.pk])
        names = {item.patient_id: item.patient.full_name for item in items}
        taking_part = _taking_part(directory, meeting.network_id)
        for user_id, people in _involved(list(names)).items():
            if user_id not in taking_part:
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


def minutes_messages(meeting: Meeting) -> list[Message]:
    """After a meeting closes: the minutes to everyone present and to the care teams of the
    people discussed (those whose role takes part in meetings)."""
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
        for user_id in sorted(recipients & _taking_part(directory, meeting.network_id))
    ]


def deliver_minutes(meeting_id: int) -> int:
    """The minutes of a closed meeting to those present and the care teams (nothing for a
    meeting not closed, or gone)."""
    meeting = Meeting.objects.filter(pk=meeting_id, status=Meeting.Status.CLOSED).first()
    return deliver(minutes_messages(meeting)) if meeting else 0


def sweep_minutes(now: datetime) -> int:
    """Minutes of meetings closed recently whose notifications never went out."""
    since = now - timedelta(hours=config("ASSIGNMENT_LOOKBACK_HOURS"))
    meetings = Meeting.objects.filter(status=Meeting.Status.CLOSED, closed_at__gte=since).exclude(
        already_sent("meeting_minutes", "meeting")
    )
    day = timezone.localdate(now)
    return sum(deliver(minutes_messages(meeting), day) for meeting in meetings)


# The `reminder_sweeps` port (settings.ICN_PORTS): each sweep by the name it reports under.
SWEEPS: dict[str, Sweep] = {
    "meetings": sweep_meetings,
    "minutes": sweep_minutes,
}
