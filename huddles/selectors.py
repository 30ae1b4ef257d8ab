"""Reads for meetings: who sees which meeting, the agenda, "yours", the people of the network
and what happened to a person since they were last discussed. Pages and the API read here
(STYLE.md: every read that depends on who is asking); nothing here writes."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, When
from django.db.models.functions import JSONObject
from django.utils import timezone

from actions.models import Action
from actions.selectors import actions_for_me
from core.workdays import add_working_days
from medicines.models import Visit
from medicines.selectors import seal_visits, visits_visible_to
from networks.models import Membership, Network
from networks.roles import CLINICAL_ROLES, Role, Service
from networks.selectors import active_memberships, members_of, network_ids_where, role_in
from patients.involvement import MEETING_DAYS
from patients.models import CareTeamMember, Patient
from patients.restricted import Readers
from patients.selectors import patients_visible_to
from referrals.models import PatientFlag, Referral
from referrals.selectors import label_from, network_directory_for, referrals_visible_to

from .models import AgendaItem, Attendance, Guest, Meeting

LOOK_BACK = timedelta(days=90)
PAST_SHOWN = 10
UPCOMING_SHOWN = 8


# Who takes part in meetings: the clinical roles, and the voluntary-sector PIC, who sees only
# the people they support, with the social part of each (API.md 1.1, Huddles).
MEETING_ROLES = CLINICAL_ROLES | {Role.PIC}
# A PIC referral that was declined or withdrawn no longer makes the person theirs.
_PIC_REFERRAL_ENDED = (Referral.Status.DECLINED, Referral.Status.WITHDRAWN)


# --- meetings --------------------------------------------------------------------------------


def meetings_visible_to(user: User) -> QuerySet[Meeting]:
    """Meetings of the networks where the user does clinical casework or is the PIC."""
    return Meeting.objects.filter(network_id__in=network_ids_where(user, MEETING_ROLES))


def sees_clinical(user: User, network_id: int) -> bool:
    """Whether the user reads the clinical part of the network's meetings (the PIC does not)."""
    return role_in(user, network_id) in CLINICAL_ROLES


def items_visible(user: User, prefix: str = "") -> Q:
    """Which agenda items the user sees (`prefix`: the path to the item, e.g. "items__"):
    every item in networks where they do clinical casework; where they are the PIC, only the
    people they support: on the person's care team, or with a referral to the PIC service
    that was not declined or withdrawn. Subqueries: no query of its own beyond the user's
    memberships."""
    shown = Q(**{f"{prefix}meeting__network_id__in": network_ids_where(user, CLINICAL_ROLES)})
    pic = network_ids_where(user, {Role.PIC})
    if pic:
        team = CareTeamMember.objects.filter(
            membership__user=user, membership__is_active=True, membership__network_id__in=pic
        ).values("patient_id")
        referred = (
            Referral.objects.filter(network_id__in=pic, service=Service.PIC)
            .exclude(status__in=_PIC_REFERRAL_ENDED)
            .values("patient_id")
        )
        shown |= Q(**{f"{prefix}meeting__network_id__in": pic}) & (
            Q(**{f"{prefix}patient_id__in": team}) | Q(**{f"{prefix}patient_id__in": referred})
        )
    return shown


def meeting_in_networks_of(user: User, pk: int) -> bool:
    """Whether the meeting is in any of the user's networks (to tell 403 from 404)."""
    return Meeting.objects.filter(pk=pk, network_id__in=list(active_memberships(user))).exists()


def meetings_with_items(queryset: QuerySet[Meeting], user: User) -> QuerySet[Meeting]:
    """The meetings with the items the user sees (`items_visible`)."""
    items = (
        AgendaItem.objects.filter(items_visible(user))
        .exclude(status=AgendaItem.Status.REMOVED)
        .select_related("patient")
    )
    return queryset.select_related("network", "chair").prefetch_related(
        Prefetch("items", queryset=items)
    )


def upcoming(queryset: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return queryset.filter(
        status=Meeting.Status.SCHEDULED,
        starts_at__gte=timezone.now() - timedelta(hours=12),
    )


URGENT_WITHIN_WORKING_DAYS = 2


def urgent_waiting(network: Network) -> list[AgendaItem]:
    """People accepted to the MDT urgently whose next discussion is more than
    URGENT_WITHIN_WORKING_DAYS working days away: the chair is offered an extra meeting."""
    latest = add_working_days(timezone.localdate(), URGENT_WITHIN_WORKING_DAYS)
    return list(
        AgendaItem.objects.filter(
            meeting__network=network,
            meeting__status=Meeting.Status.SCHEDULED,
            meeting__starts_at__date__gt=latest,
            status=AgendaItem.Status.PENDING,
            referral__urgency="urgent",
        )
        .select_related("patient", "meeting", "referral")
        .order_by("referral__triaged_at", "id")
    )


def next_scheduled_meeting(network: Network, after: datetime | None = None) -> Meeting | None:
    """The network's next meeting still to be held (a read: beat and network creation
    schedule meetings, `services.next_meeting` tops the schedule up on a write)."""
    return (
        Meeting.objects.filter(
            network=network,
            status=Meeting.Status.SCHEDULED,
            starts_at__gte=after or timezone.now(),
        )
        .order_by("starts_at")
        .first()
    )


def meetings_coming(user: User, network: Network, mine: set[int]) -> list[Meeting]:
    """The next meetings of the network, with how many people are on each agenda and how
    many of them are the user's (`mine`: their people, `my_patient_ids`); the PIC counts only
    the people they support."""
    live = ~Q(items__status=AgendaItem.Status.REMOVED) & items_visible(user, "items__")
    return list(
        upcoming(meetings_visible_to(user).filter(network=network))
        .annotate(
            on_agenda=Count("items", filter=live),
            yours=Count("items", filter=live & Q(items__patient_id__in=mine)),
        )
        .order_by("starts_at")[:UPCOMING_SHOWN]
    )


def meetings_past(user: User, network: Network, coming: list[Meeting]) -> list[Meeting]:
    """The last meetings of the network (not those `coming`), with how many were discussed."""
    discussed = Q(items__status=AgendaItem.Status.DISCUSSED) & items_visible(user, "items__")
    return list(
        meetings_visible_to(user)
        .filter(network=network, starts_at__lt=timezone.now())
        .exclude(pk__in=[m.pk for m in coming])
        .annotate(discussed=Count("items", filter=discussed))
        .order_by("-starts_at")[:PAST_SHOWN]
    )


# --- the agenda ------------------------------------------------------------------------------


def agenda_of(meeting: Meeting) -> QuerySet[AgendaItem]:
    """The people on the agenda (not those taken off it), in order."""
    return meeting.items.exclude(status=AgendaItem.Status.REMOVED).select_related(
        "patient", "notes_restricted_by"
    )


def agenda_for(user: User, meeting: Meeting) -> QuerySet[AgendaItem]:
    """The people on the agenda the user sees (`items_visible`), in order."""
    return agenda_of(meeting).filter(items_visible(user))


def agenda_items_visible_to(user: User, meeting_id: int) -> QuerySet[AgendaItem]:
    """The people on a meeting's agenda the user sees (`items_visible`)."""
    return (
        AgendaItem.objects.filter(items_visible(user), meeting_id=meeting_id)
        .exclude(status=AgendaItem.Status.REMOVED)
        .select_related("meeting", "patient")
    )


def agenda_item(meeting: Meeting, item_id: int) -> AgendaItem | None:
    return agenda_of(meeting).filter(pk=item_id).first()


def meeting_guests(meeting: Meeting, rows: list[dict] | None = None) -> list[Guest]:
    """The meeting's guests (not members), in the order the chair added them; from `rows`
    when they were read with the agenda (agenda_with_person's `guest_rows`)."""
    if rows is not None:
        return [Guest(meeting=meeting, **row) for row in rows]
    return list(Guest.objects.filter(meeting=meeting).order_by("created_at", "id"))


def meeting_guest(meeting: Meeting, guest_id: int) -> Guest | None:
    """One of the meeting's guests (None if not one of them)."""
    guest = Guest.objects.filter(meeting=meeting, pk=guest_id).first()
    if guest is not None:
        guest.meeting = meeting
    return guest


def present_user_ids(meeting: Meeting) -> set[int]:
    return set(
        Attendance.objects.filter(meeting=meeting, present=True).values_list("user_id", flat=True)
    )


def patients_to_add(user: User, meeting: Meeting, on_agenda: list[int]) -> QuerySet[Patient]:
    """People the chair may add: in the meeting's network, visible to them, not on it yet."""
    return (
        patients_visible_to(user)
        .filter(network=meeting.network)
        .exclude(pk__in=on_agenda)
        .order_by("family_name", "given_name")
    )


# --- "yours": the same rule as My work ------------------------------------------------------


def _my_actions(user: User, day: date | None, *, in_sql: bool = False) -> QuerySet[Action]:
    """Open tasks that are the user's (`actions.selectors.actions_for_me`: by name, their
    role's queue, or by name to a colleague away whom they cover on `day`, today by default;
    `in_sql`: the cover is a subquery, for annotations)."""
    mine = actions_for_me(user, day or timezone.localdate(), in_sql=in_sql)
    return Action.objects.filter(mine, status=Action.Status.OPEN)


def my_patient_ids(user: User, network: Network, day: date | None = None) -> set[int]:
    """People the user works with in the network: on their care team, or with an open task
    that is theirs, as on My work (cover included)."""
    team = CareTeamMember.objects.filter(
        membership__user=user, membership__network=network
    ).values_list("patient_id", flat=True)
    actions = _my_actions(user, day).filter(network=network)
    return set(team) | set(actions.values_list("patient_id", flat=True))


def yours(user: User, network_id: int | None = None, day: date | None = None) -> Q:
    """Whether the item's person is one of `my_patient_ids` (an annotation of agenda items;
    the meeting's network from the row unless given)."""
    network: Any = OuterRef("meeting__network_id") if network_id is None else network_id
    team = CareTeamMember.objects.filter(
        membership__user=user, membership__network_id=network, patient_id=OuterRef("patient_id")
    )
    actions = _my_actions(user, day, in_sql=True).filter(
        network_id=network, patient_id=OuterRef("patient_id")
    )
    return Q(Exists(team)) | Q(Exists(actions))


def agenda_marked(user: User, meeting: Meeting) -> QuerySet[AgendaItem]:
    """The agenda the user sees, with `yours` on each item."""
    return agenda_for(user, meeting).annotate(yours=yours(user, meeting.network_id))


def _actions_seen(user: User) -> QuerySet[Action]:
    """`actions.selectors.actions_visible_to` with the covered colleagues as a subquery (the
    meeting pages' query budget): every task where the user's role sees clinical detail,
    elsewhere (the PIC) only theirs."""
    return Action.objects.filter(
        Q(network_id__in=network_ids_where(user, CLINICAL_ROLES))
        | actions_for_me(user, in_sql=True),
        network_id__in=list(active_memberships(user)),
    )


# --- meeting mode ----------------------------------------------------------------------------


def agenda_with_person(user: User, pk: int, item_id: int) -> QuerySet[AgendaItem]:
    """Meeting mode in one query: the meeting (if the user takes part in its network's
    casework), its agenda with `yours`, and for the one person shown their last discussion
    at another meeting (`last_*`) and their open red flags (`flag_labels`, `flag_raised_at`)."""
    this = Q(pk=item_id)
    last = (
        AgendaItem.objects.filter(
            patient_id=OuterRef("patient_id"),
            status=AgendaItem.Status.DISCUSSED,
            decided_at__isnull=False,
        )
        .exclude(meeting_id=OuterRef("meeting_id"))
        .order_by("-decided_at")
    )
    flags = PatientFlag.objects.filter(
        patient_id=OuterRef("patient_id"), resolved_at__isnull=True
    ).order_by("-raised_at", "-id")
    return (
        AgendaItem.objects.filter(items_visible(user), meeting_id=pk)
        .exclude(status=AgendaItem.Status.REMOVED)
        .select_related("patient", "meeting__network", "meeting__chair")
        .annotate(
            yours=yours(user),
            last_pk=Case(When(this, then=Subquery(last.values("pk")[:1]))),
            last_decided_at=Case(When(this, then=Subquery(last.values("decided_at")[:1]))),
            last_decision=Case(When(this, then=Subquery(last.values("decision")[:1]))),
            last_next_review_on=Case(When(this, then=Subquery(last.values("next_review_on")[:1]))),
            flag_labels=Case(When(this, then=ArraySubquery(flags.values("flag__label")))),
            flag_raised_at=Case(When(this, then=ArraySubquery(flags.values("raised_at")))),
            guest_rows=Case(When(this, then=_guest_rows())),
        )
    )


def _guest_rows() -> ArraySubquery:
    """The meeting's guests as JSON objects, read with the agenda (meeting_guests)."""
    guests = Guest.objects.filter(meeting_id=OuterRef("meeting_id")).order_by("created_at", "id")
    return ArraySubquery(
        guests.values(
            json=JSONObject(id="id", name="name", role="role", organisation="organisation")
        )
    )


def last_discussion(item: AgendaItem) -> AgendaItem | None:
    """When the person was last decided on, at another meeting."""
    return (
        AgendaItem.objects.filter(
            patient_id=item.patient_id,
            status=AgendaItem.Status.DISCUSSED,
            decided_at__isnull=False,
        )
        .exclude(meeting_id=item.meeting_id)
        .order_by("-decided_at")
        .first()
    )


def since_last_discussion(
    user: User, item: AgendaItem, since: datetime
) -> tuple[list[Visit], list[Referral], list[Action]]:
    """What happened to the person since `since`: visits, referrals (and any still open),
    tasks (and any still open, and those agreed for this item)."""
    patient = item.patient
    visits = list(
        visits_visible_to(user)
        .filter(patient=patient, visited_at__gte=since)
        .select_related("visitor")
        .order_by("-visited_at")
    )
    seal_visits(user, visits, patient=patient)  # a restricted visit: that it exists, no more
    referrals = list(
        referrals_visible_to(user)
        .filter(patient=patient)
        .filter(Q(created_at__gte=since) | Q(status__in=Referral.OPEN))
        .order_by("-created_at")
    )
    label_from(referrals, network_directory_for(user, patient.network_id))
    actions = list(
        _actions_seen(user)
        .filter(patient=patient)
        .filter(Q(created_at__gte=since) | Q(status=Action.Status.OPEN) | Q(agenda_item=item))
        .select_related("assignee")
        .order_by("status", "due_on", "id")
    )
    return visits, referrals, actions


@dataclass
class Changes:
    """What happened to one person since `since` (their last discussion, `discussed_at`, or
    LOOK_BACK ago if never discussed), as the pre-meeting pack tells it."""

    since: datetime
    discussed_at: datetime | None = None
    visits: int = 0
    news2: list[tuple[datetime, int]] = field(default_factory=list)  # newest first
    referrals: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    overdue: list[tuple[str, date]] = field(default_factory=list)

    def any(self) -> bool:
        return bool(self.visits or self.referrals or self.flags or self.done or self.overdue)


def changes_since_last_discussion(
    meeting: Meeting, patient_ids: list[int], now: datetime | None = None
) -> dict[int, Changes]:
    """For each person, what happened since they were last discussed (at another meeting):
    the reads of `since_last_discussion` (visits with NEWS2, referrals new since or still
    open, tasks) and red flags raised, for many people at once: six queries whatever their
    number. No user's visibility is applied: the caller tells each reader only what their
    role may see (visits and NEWS2 are clinical)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    last = dict(
        AgendaItem.objects.filter(
            patient_id__in=patient_ids,
            status=AgendaItem.Status.DISCUSSED,
            decided_at__isnull=False,
        )
        .exclude(meeting_id=meeting.pk)
        .order_by("patient_id", "-decided_at")
        .distinct("patient_id")
        .values_list("patient_id", "decided_at")
    )
    found = {
        pid: Changes(since=last.get(pid) or now - LOOK_BACK, discussed_at=last.get(pid))
        for pid in patient_ids
    }
    if not found:
        return found
    earliest = min(c.since for c in found.values())

    def since(pid: int, at: datetime) -> bool:
        return at >= found[pid].since

    for pid, at, score, restricted in (
        Visit.objects.filter(patient_id__in=patient_ids, visited_at__gte=earliest)
        .order_by("-visited_at")
        .values_list("patient_id", "visited_at", "news2_score", "restricted")
    ):
        if since(pid, at):
            found[pid].visits += 1
            # A restricted visit counts, its NEWS2 is not told here: this is read for many
            # readers at once, with no one's right to open it applied (patients.restricted).
            if score is not None and not restricted:
                found[pid].news2.append((at, score))
    for pid, at, service, status in (
        Referral.objects.filter(patient_id__in=patient_ids)
        .filter(Q(created_at__gte=earliest) | Q(status__in=Referral.OPEN))
        .order_by("-created_at")
        .values_list("patient_id", "created_at", "service", "status")
    ):
        if since(pid, at) or status in Referral.OPEN:
            label = Service(service).label if service in Service.values else service
            found[pid].referrals.append(f"{label} ({Referral.Status(status).label.lower()})")
    for pid, at, label in (
        PatientFlag.objects.filter(patient_id__in=patient_ids, raised_at__gte=earliest)
        .order_by("-raised_at")
        .values_list("patient_id", "raised_at", "flag__label")
    ):
        if since(pid, at):
            found[pid].flags.append(label)
    for pid, title, status, done_at, due_on in (
        Action.objects.filter(patient_id__in=patient_ids)
        .filter(
            Q(status=Action.Status.DONE, done_at__gte=earliest)
            | Q(status=Action.Status.OPEN, due_on__lt=today)
        )
        .order_by("due_on", "id")
        .values_list("patient_id", "title", "status", "done_at", "due_on")
    ):
        if status == Action.Status.OPEN:
            found[pid].overdue.append((title, due_on))
        elif done_at is not None and since(pid, done_at):
            found[pid].done.append(title)
    return found


def item_actions(item: AgendaItem, user: User) -> list[Action]:
    """The tasks agreed for one person at the meeting that the user sees (the PIC: theirs)."""
    return list(
        _actions_seen(user)
        .filter(agenda_item=item)
        .select_related("assignee")
        .order_by("due_on", "id")
    )


def meeting_actions(meeting: Meeting, user: User | None) -> list[Action]:
    """Every task agreed at the meeting that the user sees (for the minutes; the PIC: theirs,
    a task's title being clinical more often than not); all of them for None (the minutes
    e-mail, which only clinical roles receive)."""
    seen = Action.objects.all() if user is None else _actions_seen(user)
    return list(
        seen.filter(agenda_item__meeting=meeting)
        .select_related("assignee")
        .order_by("due_on", "id")
    )


def meeting_members(network: Network, meeting: Meeting | None = None) -> list[Membership]:
    """The people of the network (not partner systems' accounts); given the meeting, each
    with `present`: whether they are marked present."""
    queryset = members_of(network.pk)
    if meeting is not None:
        queryset = queryset.annotate(
            present=Exists(
                Attendance.objects.filter(
                    meeting=meeting, present=True, user_id=OuterRef("user_id")
                )
            )
        )
    return [m for m in queryset if m.role != Role.PARTNER_SYSTEM]


def seal_items(user: User | None, items: list[AgendaItem]) -> list[AgendaItem]:
    """Mark each item `notes_sealed` when its discussion notes are restricted and the user may
    not read them (patients.restricted: who restricted them, the person's key worker, the
    chair, or a live break-glass grant), and blank the notes in memory. For no user (the
    minutes e-mail), restricted notes are always sealed. Each item's patient is selected; one
    query for grants, only when a restricted item is met."""
    readers = Readers(user) if user is not None else None
    restricted = [item for item in items if item.notes_restricted]
    if readers is not None and restricted:
        readers.load_grants({item.patient_id for item in restricted})
    for item in items:
        item.notes_sealed = item.notes_restricted and (
            readers is None
            or not readers.opens(
                restricted=True, patient=item.patient, author_id=item.notes_restricted_by_id
            )
        )
        if item.notes_sealed:
            item.notes = ""
            item.notes_restricted_reason = ""
    return items


def patient_involvement(*, memberships: list[Membership], now: datetime) -> Q:
    """The ``patient_involvement`` port (patients.involvement): a condition on Patient, the
    person is on the agenda (not removed) of a meeting of the member's network in the last
    MEETING_DAYS days at which they were marked present or which they chaired, or of one
    coming up that they chair."""
    since = now - timedelta(days=MEETING_DAYS)
    condition = Q(pk__in=[])
    for membership in memberships:
        # The member's meetings first (a few dozen), then their agenda items: joined the
        # other way, PostgreSQL read every agenda item of the database (~5 ms at 23,000).
        present = Attendance.objects.filter(
            meeting_id=OuterRef("pk"), user_id=membership.user_id, present=True
        )
        meetings = Meeting.objects.filter(
            network_id=membership.network_id, starts_at__gte=since
        ).filter(Q(Exists(present), starts_at__lte=now) | Q(chair_id=membership.user_id))
        items = AgendaItem.objects.filter(
            patient_id=OuterRef("pk"), meeting_id__in=meetings.values("pk")
        ).exclude(status=AgendaItem.Status.REMOVED)
        condition |= Q(Exists(items))
    return condition
