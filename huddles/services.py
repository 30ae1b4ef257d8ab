"""Writes for meetings: scheduling, agenda, the chair's decisions, episodes on the caseload."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery
from django.utils import timezone

from actions.models import Action
from actions.services import action_create
from core.errors import Conflict

from . import scheduling
from .models import AgendaItem, Attendance, Episode, Meeting

HORIZON_WEEKS = 8
Item = AgendaItem


# --- scheduling -----------------------------------------------------------------------------


def meetings_schedule(*, network, today: date | None = None, weeks: int = HORIZON_WEEKS) -> int:
    """Create the network's meetings for the coming `weeks` (idempotent: one per slot, and a
    moved or cancelled slot is never recreated). Returns how many were created."""
    today = today or timezone.localdate()
    now = timezone.now()
    wanted = [
        Meeting(network=network, scheduled_for=slot, starts_at=slot)
        for slot in scheduling.slots(network, today, today + timedelta(weeks=weeks))
        if slot >= now
    ]
    existing = set(
        Meeting.objects.filter(
            network=network, scheduled_for__in=[m.scheduled_for for m in wanted]
        ).values_list("scheduled_for", flat=True)
    )
    new = [m for m in wanted if m.scheduled_for not in existing]
    Meeting.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def next_meeting(network, after=None) -> Meeting | None:
    after = after or timezone.now()
    meeting = (
        Meeting.objects.filter(
            network=network, status=Meeting.Status.SCHEDULED, starts_at__gte=after
        )
        .order_by("starts_at")
        .first()
    )
    if meeting is None and meetings_schedule(network=network):
        return next_meeting(network, after)
    return meeting


@transaction.atomic
def meeting_move(*, meeting: Meeting, starts_at, by) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise Conflict(
            f"This meeting is {meeting.get_status_display().lower()}; it cannot be moved."
        )
    if starts_at < timezone.now():
        raise ValidationError({"starts_at": ["A meeting cannot be moved into the past."]})
    meeting.starts_at = starts_at
    meeting.save(update_fields=["starts_at"])
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by, reason: str = "") -> Meeting | None:
    """Cancel the meeting and move its agenda to the next one. Returns that next meeting."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise Conflict(
            f"This meeting is {meeting.get_status_display().lower()}; it cannot be cancelled."
        )
    meeting.status = Meeting.Status.CANCELLED
    meeting.cancelled_reason = (reason or "").strip()[:300]
    meeting.save(update_fields=["status", "cancelled_reason"])
    target = next_meeting(meeting.network, after=meeting.starts_at + timedelta(minutes=1))
    for item in meeting.items.exclude(status=Item.Status.REMOVED).order_by("position", "id"):
        if target is not None:
            _add(target, item.patient, item.source, item.reason, referral=item.referral)
        item.status = Item.Status.REMOVED
        item.version += 1
        item.save(update_fields=["status", "version", "updated_at"])
    return target


@transaction.atomic
def meeting_close(*, meeting: Meeting, by) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise Conflict(f"This meeting is already {meeting.get_status_display().lower()}.")
    meeting.items.filter(status=Item.Status.PENDING).update(status=Item.Status.NOT_REACHED)
    meeting.status = Meeting.Status.CLOSED
    meeting.closed_at = timezone.now()
    meeting.chair = meeting.chair or by
    meeting.save(update_fields=["status", "closed_at", "chair"])
    from .tasks import send_minutes

    # The minutes go to those present and the care teams; if the broker is down, the
    # minutes sweep sends them later.
    transaction.on_commit(lambda: send_minutes.delay(meeting_id=meeting.pk), robust=True)
    return meeting


# --- the agenda -----------------------------------------------------------------------------


def _add(meeting: Meeting, patient, source: str, reason: str, referral=None) -> AgendaItem | None:
    """Put a person on the agenda unless they are already on it."""
    if meeting.items.filter(patient=patient).exclude(status=Item.Status.REMOVED).exists():
        return None
    position = (meeting.items.aggregate(top=Max("position"))["top"] or 0) + 1
    try:
        with transaction.atomic():
            return AgendaItem.objects.create(
                meeting=meeting,
                patient=patient,
                source=source,
                reason=reason[:300],
                referral=referral,
                position=position,
            )
    except IntegrityError:  # added by someone else at the same moment
        return None


@transaction.atomic
def mdt_referral_accepted(*, referral, by) -> AgendaItem | None:
    """An accepted MDT referral opens an episode on the caseload and puts the person on the
    next meeting's agenda."""
    if not Episode.objects.filter(patient=referral.patient, closed_at__isnull=True).exists():
        try:
            with transaction.atomic():
                Episode.objects.create(
                    patient=referral.patient,
                    network_id=referral.network_id,
                    referral=referral,
                    opened_at=timezone.now(),
                )
        except IntegrityError:
            pass
    meeting = next_meeting(referral.network)
    if meeting is None:
        return None
    return _add(
        meeting,
        referral.patient,
        Item.Source.REFERRAL,
        f"New MDT referral: {referral.reason}",
        referral=referral,
    )


def _agenda_sources(meeting: Meeting, on_agenda) -> dict:
    """The people `agenda_build` would add, by source (in the order it adds them), each
    narrowed in SQL to people not on the agenda (`on_agenda`: their ids, or a subquery)."""
    from referrals.models import PatientFlag, Referral

    day = timezone.localdate(meeting.starts_at)
    previous = Meeting.objects.filter(
        network_id=meeting.network_id,
        status=Meeting.Status.CLOSED,
        starts_at__lt=meeting.starts_at,
    ).order_by("-starts_at")
    carried = (
        AgendaItem.objects.filter(
            meeting_id=Subquery(previous.values("pk")[:1]), status=Item.Status.NOT_REACHED
        )
        .exclude(patient_id__in=on_agenda)
        .select_related("patient", "meeting", "referral")
    )
    discussed_referrals = AgendaItem.objects.filter(
        meeting__network_id=meeting.network_id,
        referral__isnull=False,
        status=Item.Status.DISCUSSED,
    ).values("referral_id")
    referrals = (
        Referral.objects.filter(
            network_id=meeting.network_id, service="mdt", status=Referral.Status.ACCEPTED
        )
        .exclude(pk__in=discussed_referrals)
        .exclude(patient_id__in=on_agenda)
        .select_related("patient")
    )
    # The latest discussion of each person (at another meeting of the network).
    discussed = AgendaItem.objects.filter(
        meeting__network_id=meeting.network_id, status=Item.Status.DISCUSSED
    ).exclude(meeting_id=meeting.pk)
    latest = discussed.order_by("patient_id", "-decided_at").distinct("patient_id")
    open_episodes = Episode.objects.filter(
        network_id=meeting.network_id, closed_at__isnull=True
    ).values("patient_id")
    reviews = (
        AgendaItem.objects.filter(
            pk__in=latest.values("pk"),
            patient_id__in=open_episodes,
            decision=Item.Decision.CONTINUE,
            next_review_on__lte=day,
        )
        .exclude(patient_id__in=on_agenda)
        .select_related("patient")
        .order_by("patient_id")
    )
    last = discussed.filter(patient_id=OuterRef("patient_id")).order_by("-decided_at")
    flags = (
        PatientFlag.objects.filter(
            patient__network_id=meeting.network_id,
            patient_id__in=open_episodes,
            resolved_at__isnull=True,
            flag__default_urgency="urgent",
        )
        .exclude(patient_id__in=on_agenda)
        .alias(
            discussed_before=Exists(last),
            last_decided=Subquery(last.values("decided_at")[:1]),
        )
        .filter(Q(discussed_before=False) | Q(raised_at__gt=F("last_decided")))
        .select_related("patient", "flag")
    )
    return {"carried": carried, "referrals": referrals, "reviews": reviews, "flags": flags}


def agenda_may_grow(meeting: Meeting) -> bool:
    """Whether `agenda_build` would add anyone: one query (EXISTS per source), so that the
    chair's every view of an agenda already up to date costs one read and no transaction."""
    if meeting.status != Meeting.Status.SCHEDULED:
        return False
    on_agenda = meeting.items.exclude(status=Item.Status.REMOVED).values("patient_id")
    sources = _agenda_sources(meeting, on_agenda)
    found = (
        Meeting.objects.filter(pk=meeting.pk)
        .order_by()
        .annotate(**{name: Exists(qs) for name, qs in sources.items()})
        .values_list(*sources)
        .first()
    )
    return bool(found and any(found))


def agenda_build(*, meeting: Meeting) -> list[AgendaItem]:
    """Bring the agenda up to date (idempotent): accepted MDT referrals not yet discussed;
    people whose review date has come; people on the caseload with an urgent red flag since
    they were last discussed; people not reached at the last meeting. An agenda up to date
    (every view after the first) costs one query (`agenda_may_grow`)."""
    if not agenda_may_grow(meeting):
        return []
    with transaction.atomic():
        return _agenda_build(meeting)


def _agenda_build(meeting: Meeting) -> list[AgendaItem]:
    added = []
    on_agenda = set(
        meeting.items.exclude(status=Item.Status.REMOVED).values_list("patient_id", flat=True)
    )

    def add(patient, source, reason, referral=None):
        if patient.pk in on_agenda:
            return
        item = _add(meeting, patient, source, reason, referral)
        if item:
            on_agenda.add(patient.pk)
            added.append(item)

    sources = _agenda_sources(meeting, on_agenda)
    for item in sources["carried"]:
        add(
            item.patient,
            Item.Source.CARRIED,
            f"Not reached on {timezone.localdate(item.meeting.starts_at):%d %b}: {item.reason}",
            item.referral,
        )
    # Each source is narrowed in SQL to people not yet on the agenda.
    for referral in _agenda_sources(meeting, on_agenda)["referrals"]:
        add(
            referral.patient,
            Item.Source.REFERRAL,
            f"New MDT referral: {referral.reason}",
            referral,
        )
    for item in _agenda_sources(meeting, on_agenda)["reviews"]:
        add(item.patient, Item.Source.REVIEW, f"Review due {item.next_review_on:%d %b}")
    for flag in _agenda_sources(meeting, on_agenda)["flags"]:
        add(flag.patient, Item.Source.RED_FLAG, f"Urgent red flag: {flag.flag.label}")
    return added


@transaction.atomic
def agenda_add(*, meeting: Meeting, patient, by, reason: str) -> AgendaItem:
    if meeting.status != Meeting.Status.SCHEDULED:
        raise Conflict("Only a meeting that has not been closed or cancelled can be changed.")
    if patient.network_id != meeting.network_id:
        raise ValidationError({"patient": ["This person is not in the meeting's network."]})
    item = _add(
        meeting, patient, Item.Source.MANUAL, (reason or "").strip() or "Added by the chair"
    )
    if item is None:
        raise Conflict(f"{patient.full_name} is already on this agenda.")
    return item


@transaction.atomic
def agenda_remove(*, item: AgendaItem, by) -> AgendaItem:
    item = AgendaItem.objects.select_for_update().select_related("meeting").get(pk=item.pk)
    if item.meeting.status != Meeting.Status.SCHEDULED:
        raise Conflict("Only a meeting that has not been closed or cancelled can be changed.")
    item.status = Item.Status.REMOVED
    item.version += 1
    item.save(update_fields=["status", "version", "updated_at"])
    return item


@transaction.atomic
def agenda_reorder(*, meeting: Meeting, item_ids: list[int], by) -> None:
    items = {i.pk: i for i in meeting.items.select_for_update().exclude(status=Item.Status.REMOVED)}
    if set(item_ids) != set(items):
        raise ValidationError({"items": ["Give every item on the agenda exactly once."]})
    for position, item_id in enumerate(item_ids, start=1):
        AgendaItem.objects.filter(pk=item_id).update(position=position)


# --- the chair's record -------------------------------------------------------------------

UNSET = object()


@transaction.atomic
def item_update(
    *,
    item: AgendaItem,
    by,
    version: int | None = None,
    notes=UNSET,
    decision=UNSET,
    admission_avoided=UNSET,
    next_review_on=UNSET,
    decision_reason=UNSET,
) -> AgendaItem:
    """Notes and the decision for one person. With `version`, a stale edit is refused with
    Conflict (the caller shows the current version) rather than overwriting it.
    Discharge needs the answer to "have we avoided an admission?"."""
    item = (
        AgendaItem.objects.select_for_update().select_related("meeting", "patient").get(pk=item.pk)
    )
    if version is not None and version != item.version:
        raise ItemConflict(item)
    if item.meeting.status != Meeting.Status.SCHEDULED or item.status == Item.Status.REMOVED:
        raise Conflict(
            "This item can no longer be changed: its meeting is closed or it was removed."
        )
    changes = {
        name: value
        for name, value in {
            "notes": notes,
            "decision": decision,
            "admission_avoided": admission_avoided,
            "next_review_on": next_review_on,
            "decision_reason": decision_reason,
        }.items()
        if value is not UNSET
    }
    for name, value in changes.items():
        setattr(
            item, name, value if value is not None else ("" if name != "next_review_on" else None)
        )
    decided = "decision" in changes and item.decision
    if item.decision == Item.Decision.DISCHARGE and not item.admission_avoided:
        raise ValidationError(
            {
                "admission_avoided": [
                    "Do we think we have avoided an admission? "
                    "Answer yes, no or unsure to discharge."
                ]
            }
        )
    if item.decision == Item.Decision.CONTINUE:
        item.admission_avoided = item.admission_avoided if "admission_avoided" in changes else ""
        if item.next_review_on is None:
            following = next_meeting(
                item.meeting.network, after=item.meeting.starts_at + timedelta(minutes=1)
            )
            item.next_review_on = timezone.localdate(following.starts_at) if following else None
    if item.next_review_on is not None and item.next_review_on < timezone.localdate(
        item.meeting.starts_at
    ):
        raise ValidationError(
            {"next_review_on": ["The next review cannot be before this meeting."]}
        )
    item.full_clean(exclude=["meeting", "patient", "referral", "decided_by"])
    if decided:
        item.status = Item.Status.DISCUSSED
        item.decided_at = timezone.now()
        item.decided_by = by
    item.version += 1
    item.save()
    if decided and item.decision == Item.Decision.DISCHARGE:
        _discharge(item, by)
    return item


def _discharge(item: AgendaItem, by) -> None:
    from referrals.models import Referral
    from referrals.services import referral_complete

    Episode.objects.filter(patient=item.patient, closed_at__isnull=True).update(
        closed_at=timezone.now(),
        admission_avoided=item.admission_avoided,
        closing_reason=item.decision_reason[:500],
    )
    for referral in Referral.objects.filter(
        patient=item.patient, service="mdt", status=Referral.Status.ACCEPTED
    ):
        referral_complete(referral=referral, by=by)


class ItemConflict(Conflict):
    """A stale edit: carries the current item so the editor can see the other version."""

    def __init__(self, item: AgendaItem):
        super().__init__(
            "Someone else changed this item since you opened it; their version is shown.",
            field="version",
        )
        self.item = item


@transaction.atomic
def meeting_action_add(
    *, item: AgendaItem, by, title: str, due_on: date, assignee=None, assignee_role: str = ""
) -> Action:
    if item.meeting.status != Meeting.Status.SCHEDULED:
        raise Conflict("Actions are added while the meeting is open.")
    action = action_create(
        patient=item.patient,
        by=by,
        title=title,
        due_on=due_on,
        assignee=assignee,
        assignee_role=assignee_role,
        source=Action.Source.MEETING,
        details=f"Agreed at the {item.meeting.network.terms['meeting']} on "
        f"{timezone.localdate(item.meeting.starts_at):%d %b %Y}.",
        agenda_item=item,
    )
    return action


@transaction.atomic
def attendance_set(*, meeting: Meeting, user, present: bool, by) -> Attendance:
    from networks.selectors import membership_in

    if meeting.status != Meeting.Status.SCHEDULED:
        raise Conflict("Attendance is recorded while the meeting is open.")
    if membership_in(user, meeting.network_id) is None:
        raise ValidationError({"user": ["Only members of the network attend its meetings."]})
    attendance, _ = Attendance.objects.update_or_create(
        meeting=meeting, user=user, defaults={"present": present}
    )
    return attendance
