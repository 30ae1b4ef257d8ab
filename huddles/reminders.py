"""Reminders about meetings: before each one, members hear which of their people are on the
agenda and what changed for each since they were last discussed, and the chair gets the pack
(everyone on the agenda, the same way); after it closes, the minutes go out. Delivered through
`notifications` (see `notifications/sweeping.py`)."""

from collections import defaultdict
from datetime import datetime, timedelta

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from actions.models import Action
from networks.roles import CLINICAL_ROLES
from notifications.models import Notification
from notifications.services import Message, deliver, email_identifiable
from notifications.sweeping import Directory, Sweep, already_sent, config
from patients.models import CareTeamMember, Patient

from .minutes import members_labelled, minutes_context
from .models import AgendaItem, Attendance, Meeting
from .selectors import MEETING_ROLES, Changes, changes_since_last_discussion
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


def _clinical(directory: Directory, network_id: int) -> set[int]:
    """The members whose role may read the minutes and a person's visits (clinical roles)."""
    return {user_id for role in CLINICAL_ROLES for user_id in directory.holders(network_id, role)}


def _changes_text(changes: Changes) -> str:
    """One line of the pack: what happened to the person since they were last discussed."""
    when = (
        f"since discussed {timezone.localtime(changes.discussed_at):%-d %b}"
        if changes.discussed_at
        else f"not discussed before; since {timezone.localtime(changes.since):%-d %b}"
    )
    parts = []
    if changes.visits:
        visits = f"{changes.visits} visit{'s' if changes.visits != 1 else ''}"
        if changes.news2:
            at, score = changes.news2[0]
            visits += f", latest NEWS2 {score} ({timezone.localtime(at):%-d %b})"
        parts.append(visits)
    if changes.referrals:
        parts.append("referrals: " + ", ".join(changes.referrals))
    if changes.flags:
        parts.append("red flags: " + ", ".join(changes.flags))
    if changes.done:
        parts.append("tasks done: " + ", ".join(changes.done))
    if changes.overdue:
        parts.append(
            "overdue: " + ", ".join(f"{title} (due {due:%-d %b})" for title, due in changes.overdue)
        )
    return f"{when}: " + ("; ".join(parts) if parts else "nothing new") + "."


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
        changes = changes_since_last_discussion(meeting, list(names), now)
        clinical = _clinical(directory, meeting.network_id)
        taking_part = _taking_part(directory, meeting.network_id)
        for user_id, people in _involved(list(names)).items():
            if user_id not in taking_part:
                continue
            listed = sorted(names[p] for p in people)
            body = "On the agenda: " + ", ".join(listed) + "."
            if user_id in clinical:
                ordered = sorted(people, key=lambda p: names[p])
                body += "\n\nSince each was last discussed:\n" + "\n".join(
                    f"- {names[p]}: {_changes_text(changes[p])}" for p in ordered
                )
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
                    body=body,
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
                f"{i}. {item.patient.full_name}: {item.reason}\n"
                f"   {_changes_text(changes[item.patient_id])}"
                for i, item in enumerate(items, 1)
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


def minutes_recipients(meeting: Meeting, chair_id: int | None = None) -> dict[str, set[int]]:
    """Who gets the minutes, by why: those marked present, the chair (`chair_id` if the
    meeting has none yet: whoever closes it) and the care teams of the people discussed.
    The close confirmation shows these before the close; `minutes_messages` sends to them
    (members of the network only) after it. Two queries."""
    present = set(
        Attendance.objects.filter(meeting=meeting, present=True).values_list("user_id", flat=True)
    )
    discussed = AgendaItem.objects.filter(meeting=meeting, status=AgendaItem.Status.DISCUSSED)
    care_teams = set(
        CareTeamMember.objects.filter(
            patient_id__in=discussed.values("patient_id"), membership__is_active=True
        ).values_list("membership__user_id", flat=True)
    )
    chair = meeting.chair_id or chair_id
    return {"present": present, "chair": {chair} if chair else set(), "care_teams": care_teams}


def minutes_recipients_named(meeting: Meeting, chair_id: int | None) -> list[dict[str, str]]:
    """`minutes_recipients` as the close confirmation lists them, members whose role takes
    part in meetings only (as the minutes go): each one's label and why, by name."""
    network = meeting.network
    why = minutes_recipients(meeting, chair_id=chair_id)
    reasons = (
        ("chair", network.terms["chair"]),
        ("present", "present"),
        ("care_teams", "care team of someone discussed"),
    )
    return [
        {
            "label": membership.label,
            "why": "; ".join(words for key, words in reasons if membership.user_id in why[key]),
        }
        for membership in sorted(members_labelled(network), key=lambda m: m.label)
        if membership.role in MEETING_ROLES
        and any(membership.user_id in ids for ids in why.values())
    ]


def minutes_messages(meeting: Meeting) -> list[Message]:
    """After a meeting closes: the minutes to everyone present and to the care teams of the
    people discussed. Where e-mail may carry patient data (NOTIFY_EMAIL_IDENTIFIABLE) the
    e-mail carries the minutes themselves, to those whose role may read them (the clinical
    roles, as on the page); everyone else, and every e-mail otherwise, has the link only."""
    directory = Directory.load({meeting.network_id})
    recipients = set().union(*minutes_recipients(meeting).values())
    discussed = AgendaItem.objects.filter(meeting=meeting, status=AgendaItem.Status.DISCUSSED)
    terms = directory.terms(meeting.network_id)
    when = timezone.localtime(meeting.starts_at)
    count = discussed.count()
    readers: set[int] = set()
    text = ""
    if email_identifiable():
        readers = _clinical(directory, meeting.network_id)
        if recipients & readers:
            text = render_to_string(
                "huddles/minutes_email.txt",
                minutes_context(
                    Meeting.objects.select_related("network", "chair").get(pk=meeting.pk)
                ),
            ).strip()
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
            email_body=text if user_id in readers else "",
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
