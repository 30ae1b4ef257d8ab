"""Writes for meetings: scheduling, agenda, the chair's decisions, episodes on the caseload.

Every service takes `by` (a user, or None for the system: beat and network creation) and
runs inside `core.attribution.acting`, so the row history of meetings, agenda items and
attendance says who did it. Statuses change only through the lifecycles in `models.py`."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from actions.models import Action
from actions.services import action_create
from core.attribution import acting, attributed
from core.errors import Conflict
from networks.models import Network
from networks.roles import Role
from networks.selectors import membership_in, role_in
from patients.models import Patient
from patients.restricted import restriction_set
from referrals.models import OUTCOME_MAX_LENGTH, PatientFlag, Referral
from referrals.services import referral_complete
from webhooks.models import EventType
from webhooks.services import event_record

from . import scheduling
from .consent import REFUSED, MdtRefused, refused_mdt
from .models import AGENDA_ITEM, MEETING, AgendaItem, Attendance, Episode, Guest, Meeting
from .selectors import next_scheduled_meeting

HORIZON_WEEKS = 8
Item = AgendaItem


def _system(by: User | None, via: str) -> str:
    """How a system write came about (`via`); nothing for a person's."""
    return via if by is None else ""


# --- scheduling -----------------------------------------------------------------------------


def meetings_schedule(
    *,
    network: Network,
    by: User | None = None,
    today: date | None = None,
    weeks: int = HORIZON_WEEKS,
    via: str = "",
) -> int:
    """Create the network's meetings for the coming `weeks` (idempotent: one per slot, and a
    moved or cancelled slot is never recreated). A slot on a bank holiday starts on the next
    working day or is skipped, as the network chose (`scheduling.starts_for`); meetings
    scheduled before that rule, or before the network changed it, are moved or cancelled
    (`bank_holidays_apply`). Returns how many were created. With `by` None the history
    names the system and `via` (beat unless told)."""
    today = today or timezone.localdate()
    now = timezone.now()
    via = via or _system(by, "beat:schedule_meetings")
    wanted = []
    for slot in scheduling.slots(network, today, today + timedelta(weeks=weeks)):
        starts = scheduling.starts_for(network, slot)
        if starts is not None and starts >= now:
            wanted.append(Meeting(network=network, scheduled_for=slot, starts_at=starts))
    existing = set(
        Meeting.objects.filter(
            network=network, scheduled_for__in=[m.scheduled_for for m in wanted]
        ).values_list("scheduled_for", flat=True)
    )
    new = [m for m in wanted if m.scheduled_for not in existing]
    if new:
        with acting(by, via=via):
            Meeting.objects.bulk_create(new, ignore_conflicts=True)
    bank_holidays_apply(network=network, by=by, via=via)
    return len(new)


def bank_holidays_apply(*, network: Network, by: User | None = None, via: str = "") -> int:
    """Move (or cancel, carrying the agenda forward) the network's scheduled meetings that
    still start at their slot on a bank holiday. A meeting the chair moved is left where
    they put it. Returns how many changed."""
    changed = 0
    upcoming = Meeting.objects.filter(
        network=network,
        status=Meeting.Status.SCHEDULED,
        starts_at__gte=timezone.now(),
        starts_at=F("scheduled_for"),
    )
    for meeting in upcoming:
        slot = meeting.scheduled_for
        if slot is None:  # an extra meeting (never matched by the filter; for the types)
            continue
        starts = scheduling.starts_for(network, slot)
        if starts == slot:
            continue
        with acting(by, via=via or _system(by, "bank_holidays")):
            if starts is None:
                meeting_cancel(meeting=meeting, by=by, reason="Bank holiday")
            else:
                meeting_move(meeting=meeting, starts_at=starts, by=by)
        changed += 1
    return changed


EXTRA_REASON_REQUIRED = "Say why the extra meeting is needed (e.g. an urgent referral)."
EXTRA_IN_THE_PAST = "An extra meeting cannot start in the past."
EXTRA_CLASHES = "There is already a meeting at that time."


@attributed
@transaction.atomic
def meeting_add(
    *,
    network: Network,
    starts_at: datetime,
    reason: str,
    by: User | None,
    patients: Iterable[Patient] = (),
) -> Meeting:
    """An extra meeting (e.g. for an urgent MDT referral), beside the cadence. Each of
    `patients` comes to it: from a later meeting's agenda if they wait on one (moved, with
    their reason and referral), else added with the meeting's reason."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": [EXTRA_REASON_REQUIRED]})
    if starts_at < timezone.now():
        raise ValidationError({"starts_at": [EXTRA_IN_THE_PAST]})
    if Meeting.objects.filter(
        network=network, status=Meeting.Status.SCHEDULED, starts_at=starts_at
    ).exists():
        raise ValidationError({"starts_at": [EXTRA_CLASHES]})
    meeting = Meeting(network=network, starts_at=starts_at, reason=reason[:300])
    meeting.full_clean(exclude=["network", "chair"])
    meeting.save()
    people = list(patients)
    waiting = {
        item.patient_id: item
        for item in AgendaItem.objects.filter(
            meeting__network=network,
            meeting__status=Meeting.Status.SCHEDULED,
            meeting__starts_at__gt=starts_at,
            patient__in=people,
            status=Item.Status.PENDING,
        ).select_related("referral")
    }
    for patient in people:
        item = waiting.get(patient.pk)
        if item is not None:
            _add_unless_refused(meeting, patient, item.source, item.reason, item.referral)
            _item_remove(item)
        else:
            _add_unless_refused(meeting, patient, Item.Source.MANUAL, reason)
    return meeting


def network_created(*, network: Network, by: User | None) -> None:
    """The `network_created` port (networks.services.network_create): a new network has its
    meetings from the start, so no page has to create them."""
    meetings_schedule(network=network, by=by, via="network_created")


def next_meeting(
    network: Network, after: datetime | None = None, *, by: User | None = None
) -> Meeting | None:
    """The next meeting still to be held, scheduling the network's meetings first if there is
    none (for writes; pages read `selectors.next_scheduled_meeting`)."""
    meeting = next_scheduled_meeting(network, after)
    if meeting is None and meetings_schedule(network=network, by=by):
        return next_scheduled_meeting(network, after)
    return meeting


def _locked(meeting: Meeting, action: str) -> Meeting:
    """The meeting locked for the write, if its lifecycle allows `action` (else Conflict)."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    MEETING.check(meeting, action)
    return meeting


@attributed
@transaction.atomic
def meeting_move(*, meeting: Meeting, starts_at: datetime, by: User | None) -> Meeting:
    meeting = _locked(meeting, "move")
    if starts_at < timezone.now():
        raise ValidationError({"starts_at": ["A meeting cannot be moved into the past."]})
    meeting.starts_at = starts_at
    meeting.save(update_fields=["starts_at"])
    return meeting


@attributed
@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by: User | None, reason: str = "") -> Meeting | None:
    """Cancel the meeting and move its agenda to the next one. Returns that next meeting."""
    meeting = _locked(meeting, "cancel")
    meeting.cancelled_reason = (reason or "").strip()[:300]
    meeting.save(update_fields=[MEETING.apply(meeting, "cancel"), "cancelled_reason"])
    target = next_meeting(meeting.network, after=meeting.starts_at + timedelta(minutes=1), by=by)
    for item in meeting.items.exclude(status=Item.Status.REMOVED).order_by("position", "id"):
        if target is not None:
            _add_unless_refused(target, item.patient, item.source, item.reason, item.referral)
        _item_remove(item)
    return target


def close_too_early(meeting: Meeting) -> str:
    """Why the meeting cannot be closed yet (the page says the same)."""
    when = timezone.localtime(meeting.starts_at)
    word = meeting.network.terms["meeting"]
    return (
        f"The {word} cannot be closed before it starts "
        f"({when:%H:%M} on {when:%A} {when.day} {when:%B %Y})."
    )


@attributed
@transaction.atomic
def meeting_close(*, meeting: Meeting, by: User | None) -> Meeting:
    """Close the meeting: people not reached are carried to the next agenda (built now, so
    the next agenda shows them at once), and the minutes go out. Not before it has started:
    closing would carry everyone forward and send minutes of a meeting not held."""
    meeting = _locked(meeting, "close")
    if timezone.now() < meeting.starts_at:
        raise Conflict(close_too_early(meeting))
    missed = AGENDA_ITEM.moves["miss"]
    meeting.items.filter(status__in=missed.sources).update(status=missed.target)
    status = MEETING.apply(meeting, "close")
    meeting.closed_at = timezone.now()
    meeting.chair = meeting.chair or by
    meeting.save(update_fields=[status, "closed_at", "chair"])
    following = next_meeting(meeting.network, after=meeting.starts_at + timedelta(minutes=1), by=by)
    if following is not None:
        agenda_build(meeting=following, by=by)
    from .tasks import send_minutes

    # The minutes go to those present and the care teams; if the broker is down, the
    # minutes sweep sends them later.
    transaction.on_commit(
        lambda: send_minutes.delay(meeting_id=meeting.pk, network_id=meeting.network_id),
        robust=True,
    )
    return meeting


# --- the agenda -----------------------------------------------------------------------------


def _add(
    meeting: Meeting,
    patient: Patient,
    source: str,
    reason: str,
    referral: Referral | None = None,
) -> AgendaItem | None:
    """Put a person on the agenda unless they are already on it, or refused discussion at
    the MDT (MdtRefused: the automatic paths skip them, the chair is told)."""
    if refused_mdt(patient):
        raise MdtRefused(patient)
    if meeting.items.filter(patient=patient).exclude(status=Item.Status.REMOVED).exists():
        return None
    position = (meeting.items.aggregate(top=Max("position"))["top"] or 0) + 1
    try:
        with transaction.atomic():
            item = AgendaItem.objects.create(
                meeting=meeting,
                patient=patient,
                source=source,
                reason=reason[:300],
                referral=referral,
                position=position,
            )
    except IntegrityError:  # added by someone else at the same moment
        return None
    _episode_open(patient, meeting.network_id, referral)
    return item


def _add_unless_refused(meeting: Meeting, patient: Patient, *args: Any, **kwargs: Any) -> Any:
    """`_add` for the automatic paths (carrying, moving, building): a person who refused
    discussion is left off, not an error."""
    try:
        return _add(meeting, patient, *args, **kwargs)
    except MdtRefused:
        return None


def _episode_open(patient: Patient, network_id: int, referral: Referral | None = None) -> None:
    """The person comes to the huddle (by any route: an accepted MDT referral, the chair,
    a review, a red flag): they are on the MDT caseload from now unless they already are,
    so that a discharge answer always closes an episode and counts in the reports."""
    if Episode.objects.filter(patient=patient, closed_at__isnull=True).exists():
        return
    try:
        with transaction.atomic():
            Episode.objects.create(
                patient=patient, network_id=network_id, referral=referral, opened_at=timezone.now()
            )
    except IntegrityError:  # opened by someone else at the same moment
        pass


def _item_remove(item: AgendaItem, *also: str) -> None:
    status = AGENDA_ITEM.apply(item, "remove")
    item.version += 1
    item.save(update_fields=[status, "version", "updated_at", *also])


@attributed
@transaction.atomic
def mdt_referral_accepted(*, referral: Referral, by: User | None) -> AgendaItem | None:
    """The `referral_accepted_for_mdt` port: an accepted MDT referral opens an episode on the
    caseload and puts the person on the next meeting's agenda. A person who refused
    discussion at the MDT cannot be accepted (MdtRefused: the triager declines instead)."""
    if refused_mdt(referral.patient):
        raise MdtRefused(referral.patient)
    _episode_open(referral.patient, referral.network_id, referral)
    meeting = next_meeting(referral.network, by=by)
    if meeting is None:
        return None
    return _add(
        meeting,
        referral.patient,
        Item.Source.REFERRAL,
        f"New MDT referral: {referral.reason}",
        referral=referral,
    )


def _agenda_sources(meeting: Meeting, on_agenda: Iterable[int] | QuerySet[Any]) -> dict[str, Any]:
    """The people `agenda_build` would add, by source (in the order it adds them), each
    narrowed in SQL to people not on the agenda (`on_agenda`: their ids, or a subquery) and
    who have not refused discussion at the MDT."""
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
        .exclude(patient__consent_mdt=REFUSED)
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
        .exclude(patient__consent_mdt=REFUSED)
        .select_related("patient")
    )
    # The latest discussion of each person on the caseload (at another meeting of the
    # network): only they can be due a review, and narrowing to them first spares sorting
    # every discussion the network ever had (17 of the chair's page's ~80 ms).
    discussed = AgendaItem.objects.filter(
        meeting__network_id=meeting.network_id, status=Item.Status.DISCUSSED
    ).exclude(meeting_id=meeting.pk)
    open_episodes = Episode.objects.filter(
        network_id=meeting.network_id, closed_at__isnull=True
    ).values("patient_id")
    latest = (
        discussed.filter(patient_id__in=open_episodes)
        .order_by("patient_id", "-decided_at")
        .distinct("patient_id")
    )
    reviews = (
        AgendaItem.objects.filter(
            pk__in=latest.values("pk"),
            patient_id__in=open_episodes,
            decision=Item.Decision.CONTINUE,
            next_review_on__lte=day,
        )
        .exclude(patient_id__in=on_agenda)
        .exclude(patient__consent_mdt=REFUSED)
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
        .exclude(patient__consent_mdt=REFUSED)
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
    chair's page can offer to bring the agenda up to date without building it on a GET."""
    if not MEETING.allowed(meeting, "change"):
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


def agenda_build(*, meeting: Meeting, by: User | None = None, via: str = "") -> list[AgendaItem]:
    """Bring the agenda up to date (idempotent): accepted MDT referrals not yet discussed;
    people whose review date has come; people on the caseload with an urgent red flag since
    they were last discussed; people not reached at the last meeting. Run by beat and the
    meeting reminders (as the system, named by `via`), at the close of the meeting before,
    and by the chair's button. An agenda up to date costs one query (`agenda_may_grow`)."""
    if not agenda_may_grow(meeting):
        return []
    with acting(by, via=via or _system(by, "beat:agenda_build")), transaction.atomic():
        return _agenda_build(meeting)


def _agenda_build(meeting: Meeting) -> list[AgendaItem]:
    added: list[AgendaItem] = []
    on_agenda = set(
        meeting.items.exclude(status=Item.Status.REMOVED).values_list("patient_id", flat=True)
    )

    def add(patient: Patient, source: str, reason: str, referral: Referral | None = None) -> None:
        if patient.pk in on_agenda:
            return
        item = _add_unless_refused(meeting, patient, source, reason, referral)
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


@attributed
@transaction.atomic
def agenda_add(*, meeting: Meeting, patient: Patient, by: User | None, reason: str) -> AgendaItem:
    MEETING.check(meeting, "change")
    if patient.network_id != meeting.network_id:
        raise ValidationError({"patient": ["This person is not in the meeting's network."]})
    item = _add(
        meeting, patient, Item.Source.MANUAL, (reason or "").strip() or "Added by the chair"
    )
    if item is None:
        raise Conflict(f"{patient.full_name} is already on this agenda.")
    return item


@attributed
@transaction.atomic
def agenda_remove(*, item: AgendaItem, by: User | None) -> AgendaItem:
    item = AgendaItem.objects.select_for_update().select_related("meeting").get(pk=item.pk)
    MEETING.check(item.meeting, "change")
    _item_remove(item)
    return item


@attributed
@transaction.atomic
def agenda_reorder(*, meeting: Meeting, item_ids: list[int], by: User | None) -> None:
    MEETING.check(meeting, "change")
    items = {i.pk: i for i in meeting.items.select_for_update().exclude(status=Item.Status.REMOVED)}
    if set(item_ids) != set(items):
        raise ValidationError({"items": ["Give every item on the agenda exactly once."]})
    for position, item_id in enumerate(item_ids, start=1):
        AgendaItem.objects.filter(pk=item_id).update(position=position)


# --- the chair's record -------------------------------------------------------------------

UNSET: Any = object()


@attributed
@transaction.atomic
def item_notes_restrict(
    *, item: AgendaItem, by: User, restricted: bool, reason: str = ""
) -> AgendaItem:
    """Restrict an item's discussion notes (the chair: they write them) or lift the restriction
    (the chair, or whoever restricted them); the row history keeps who and when."""
    locked = AgendaItem.objects.select_for_update().select_related("patient").get(pk=item.pk)
    if not (
        role_in(by, locked.patient.network_id) == Role.CHAIR
        or (locked.notes_restricted and locked.notes_restricted_by_id == by.pk)
    ):
        raise PermissionDenied("Only the chair, or who restricted the notes, may.")
    fields = restriction_set(locked, prefix="notes_", by=by, restricted=restricted, reason=reason)
    locked.save(update_fields=[*fields, "updated_at"])
    return locked


@attributed
@transaction.atomic
def item_update(
    *,
    item: AgendaItem,
    by: User,
    version: int | None = None,
    notes: Any = UNSET,
    decision: Any = UNSET,
    admission_avoided: Any = UNSET,
    next_review_on: Any = UNSET,
    decision_reason: Any = UNSET,
) -> AgendaItem:
    """Notes and the decision for one person. With `version`, a stale edit is refused with
    Conflict (the caller shows the current version) rather than overwriting it.
    Discharge needs the answer to "have we avoided an admission?"."""
    item = (
        AgendaItem.objects.select_for_update().select_related("meeting", "patient").get(pk=item.pk)
    )
    if version is not None and version != item.version:
        raise ItemConflict(item)
    MEETING.check(item.meeting, "change")
    AGENDA_ITEM.check(item, "discuss")
    discharged_at = (
        item.decided_at
        if item.status == Item.Status.DISCUSSED and item.decision == Item.Decision.DISCHARGE
        else None
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
                item.meeting.network, after=item.meeting.starts_at + timedelta(minutes=1), by=by
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
        AGENDA_ITEM.apply(item, "discuss")
        if discharged_at is None or item.decision != Item.Decision.DISCHARGE:
            # A discharge recorded again keeps the moment it was first recorded.
            item.decided_at = timezone.now()
            item.decided_by = by
    item.version += 1
    item.save()
    if item.decision == Item.Decision.DISCHARGE and discharged_at is not None:
        _discharge_amend(item, discharged_at, reopen=False)
    elif decided and item.decision == Item.Decision.DISCHARGE:
        _discharge(item, by)
    elif discharged_at is not None:
        _discharge_amend(item, discharged_at, reopen=True)
    return item


def _discharged_by(item: AgendaItem, discharged_at: datetime) -> Episode | None:
    """The episode this item's discharge closed (closed in the same transaction as, so not
    before, the decision)."""
    return (
        Episode.objects.select_for_update()
        .filter(patient_id=item.patient_id, closed_at__gte=discharged_at)
        .order_by("-closed_at", "-id")
        .first()
    )


def _discharge_amend(item: AgendaItem, discharged_at: datetime, *, reopen: bool) -> None:
    """A discharge already recorded changes: its answer and reason follow the item (counted
    once, on the day first recorded); or it is no longer a discharge, and the episode is
    open again unless the person has come back since."""
    episode = _discharged_by(item, discharged_at)
    if episode is None:
        return
    if not reopen:
        episode.admission_avoided = item.admission_avoided
        episode.closing_reason = item.decision_reason[:500]
        episode.save(update_fields=["admission_avoided", "closing_reason"])
    elif not Episode.objects.filter(patient_id=item.patient_id, closed_at__isnull=True).exists():
        episode.closed_at = None
        episode.admission_avoided = ""
        episode.closing_reason = ""
        episode.save(update_fields=["closed_at", "admission_avoided", "closing_reason"])


SOCIAL_NOTES_MAX = 20000


@attributed
@transaction.atomic
def item_social_notes_set(
    *, item: AgendaItem, by: User, social_notes: str, social_version: int | None = None
) -> AgendaItem:
    """The social part of one person's item, written by the PIC or a clinical member who sees
    it (the caller found the item through `selectors.items_visible`), while the meeting is
    open. With `social_version`, a stale edit is refused with ItemConflict. The social notes
    have their own version: the PIC writing never makes the chair's record stale."""
    item = (
        AgendaItem.objects.select_for_update().select_related("meeting", "patient").get(pk=item.pk)
    )
    if social_version is not None and social_version != item.social_version:
        raise ItemConflict(item)
    MEETING.check(item.meeting, "change")
    AGENDA_ITEM.check(item, "discuss")
    if len(social_notes) > SOCIAL_NOTES_MAX:
        raise ValidationError(
            {"social_notes": [f"Keep the social notes under {SOCIAL_NOTES_MAX:,} characters."]}
        )
    if social_notes == item.social_notes:
        return item
    item.social_notes = social_notes
    item.social_version += 1
    item.save(update_fields=["social_notes", "social_version", "updated_at"])
    return item


def _discharge(item: AgendaItem, by: User) -> None:
    """Close the person's episode with the answer. Every discharge answer counts in the
    reports: a person with no open episode (discharged before, still on a later agenda, or
    added before episodes opened at the agenda) has one opened and closed now."""
    now = timezone.now()
    closed = Episode.objects.filter(patient=item.patient, closed_at__isnull=True).update(
        closed_at=now,
        admission_avoided=item.admission_avoided,
        closing_reason=item.decision_reason[:500],
    )
    if not closed:
        Episode.objects.create(
            patient=item.patient,
            network_id=item.meeting.network_id,
            referral=item.referral,
            opened_at=min(item.meeting.starts_at, now),
            closed_at=now,
            admission_avoided=item.admission_avoided,
            closing_reason=item.decision_reason[:500],
        )
    # Subscribers hear it (webhooks): the person by reference only, never by name.
    event_record(
        network_id=item.meeting.network_id,
        type=EventType.PATIENT_DISCHARGED,
        data={"patient": f"Patient/{item.patient_id}", "discharged_at": now.isoformat()},
    )
    for referral in Referral.objects.filter(
        patient=item.patient, service="mdt", status=Referral.Status.ACCEPTED
    ):
        referral_complete(
            referral=referral,
            by=by,
            outcome=(
                "Discharged from the MDT"
                + (f": {item.decision_reason}" if item.decision_reason else ".")
            )[:OUTCOME_MAX_LENGTH],
        )


class ItemConflict(Conflict):
    """A stale edit: carries the current item so the editor can see the other version."""

    def __init__(self, item: AgendaItem) -> None:
        super().__init__(
            "Someone else changed this item since you opened it; their version is shown.",
            field="version",
        )
        self.item = item


@attributed
@transaction.atomic
def meeting_action_add(
    *,
    item: AgendaItem,
    by: User,
    title: str,
    due_on: date,
    assignee: User | None = None,
    assignee_role: str = "",
) -> Action:
    MEETING.check(item.meeting, "change")
    return action_create(
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


@attributed
@transaction.atomic
def attendance_set(*, meeting: Meeting, user: User, present: bool, by: User | None) -> Attendance:
    MEETING.check(meeting, "change")
    if membership_in(user, meeting.network_id) is None:
        raise ValidationError({"user": ["Only members of the network attend its meetings."]})
    attendance, _ = Attendance.objects.update_or_create(
        meeting=meeting, user=user, defaults={"present": present}
    )
    return attendance


@attributed
@transaction.atomic
def guest_add(
    *, meeting: Meeting, name: str, by: User, role: str = "", organisation: str = ""
) -> Guest:
    """Record a guest at an open meeting (someone not a member: a care home manager, a family
    member). Nothing is saved if the name is missing or any field too long."""
    MEETING.check(meeting, "change")
    guest = Guest(
        meeting=meeting,
        name=name.strip(),
        role=role.strip(),
        organisation=organisation.strip(),
        added_by=by,
    )
    guest.full_clean(exclude=["meeting", "added_by"])
    guest.save()
    return guest


@attributed
@transaction.atomic
def guest_remove(*, guest: Guest, by: User) -> None:
    """Take a guest off an open meeting's attendance (recorded in error); the row's history
    keeps who it was."""
    MEETING.check(guest.meeting, "change")
    guest.delete()
