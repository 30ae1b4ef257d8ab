"""Legitimate relationship: who is involved in a person's care, and so reads their clinical
detail (docs/adr/0007-legitimate-relationship.md).

A clinical member of the person's network is involved when, one condition per line below:
- the network does not require involvement (`Network.involvement_required` off);
- they are the network's chair;
- they are the person's key worker;
- they are on the person's care team;
- they added the person to the network in the last ``RECENT_DAYS``;
- and, from the apps above this floor through the ``patient_involvement`` port: their role
  serves a service with a referral for the person open or closed in the last
  ``RECENT_DAYS`` (referrals), a task about the person is theirs by name or their role's
  queue, open or done in the last ``RECENT_DAYS`` (actions), or they were marked present
  at, or chaired, a meeting in the last ``MEETING_DAYS`` days with the person on its
  agenda, or chair one coming up (huddles), or are the care-home resident's allocated
  pharmacist or technician, or visited them in the last ``MEETING_DAYS`` days (medicines).
A live break-glass grant (audit.BreakGlass) opens the person as if involved.

`clinical_patient_ids` is the one decision every page and API reading clinical detail takes
(through the ``patients.view_clinical`` rule for one person, directly for lists): one query
whatever the number of people, none when every one is in a network that opens all.
"""

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, Protocol

from django.db import connections, router
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.db.models.functions import Now
from django.utils import timezone

from audit.models import BreakGlass
from core import ports
from core.typing import User
from networks.models import Membership
from networks.roles import CLINICAL_ROLES, Role
from networks.selectors import active_memberships

from .models import CareTeamMember, Patient

# A referral closed, or a task done, this many days ago still involves the member who served
# it (the follow-up: a letter, a question from the GP). Meetings: this many days back.
RECENT_DAYS = 30
MEETING_DAYS = 90

_CACHE_ATTR = "_icn_clinical_patients"

NOT_INVOLVED_MESSAGE = (
    "You are not involved in this person's care. To read their clinical detail, break the "
    "glass: POST /api/v1/patients/{id}/break-glass/ with a reason_code and a reason (or "
    "'Break the glass' on their page)."
)

# Why a member does or does not read a person's clinical detail (the API's `clinical_access`).
FULL = "full"
BREAK_GLASS = "break_glass"
NOT_INVOLVED = "not_involved"
ROLE = "role"


class Person(Protocol):
    pk: Any
    network_id: int


def clinical_memberships(user: User) -> list[Membership]:
    """The user's active memberships whose role reads clinical detail at all."""
    return [m for m in active_memberships(user).values() if m.role in CLINICAL_ROLES]


def involvement_condition(user: User, now: Any = None) -> Q:
    """A condition on Patient: the user is involved with the person (one query wherever it is
    used: each path is an EXISTS on the person's row). `now`: the time it is judged at, a
    datetime (by default this moment) or an expression (the database's clock, Now())."""
    memberships = clinical_memberships(user)
    if not memberships:
        return Q(pk__in=[])
    now = timezone.now() if now is None else now
    condition = Q(network_id__in=[m.network_id for m in memberships if _opens_all(m)])
    condition |= Q(key_worker_id__in=[m.pk for m in memberships])
    condition |= Q(created_by_id=user.pk, created_at__gte=since(now, RECENT_DAYS))
    condition |= Q(
        Exists(
            CareTeamMember.objects.filter(
                patient_id=OuterRef("pk"), membership_id__in=[m.pk for m in memberships]
            )
        )
    )
    for contribution in ports.call("patient_involvement", memberships=memberships, now=now):
        condition |= contribution
    return Q(network_id__in=[m.network_id for m in memberships]) & condition


def readable_patients(user: User) -> QuerySet[Patient]:
    """Everyone whose clinical detail the user reads (clinical_patient_ids as SQL): for lists
    of clinical entries (visits, medicines...), `.filter(patient__in=readable_patients(user))`
    keeps one query a page whatever the number of rows."""
    memberships = clinical_memberships(user)
    if not memberships:
        return Patient.objects.none()
    return Patient.objects.filter(
        involvement_condition(user)
        | Q(Exists(_live_grants(user)), network_id__in=[m.network_id for m in memberships])
    )


def _live_grants(user: User, now: Any = None) -> QuerySet[BreakGlass]:
    """The user's live break-glass grants for the person of the outer query."""
    return BreakGlass.objects.filter(
        user_id=user.pk,
        patient_id=OuterRef("pk"),
        expires_at__gt=timezone.now() if now is None else now,
    )


def involved_patient_ids(user: User, patient_ids: Iterable[int]) -> set[int]:
    """Of these people, those the user is involved with (one query)."""
    ids = list(patient_ids)
    if not ids or not clinical_memberships(user):
        return set()
    return set(
        Patient.objects.filter(pk__in=ids)
        .filter(involvement_condition(user))
        .values_list("pk", flat=True)
    )


def clinical_patient_ids(user: User, patients: Sequence[Person]) -> set[int]:
    """Of these people, those whose clinical detail the user reads: a clinical role in their
    network AND (the network opens everyone to its clinical members, OR the user is involved,
    OR holds a live break-glass grant). One query, remembered for the request."""
    known = _access(user, patients)
    return {person.pk for person in patients if known.get(person.pk) in (FULL, BREAK_GLASS)}


def _access(user: User, patients: Sequence[Person]) -> dict[int, str]:
    """{person id: clinical_access} for these people (and those asked before this request)."""
    memberships = active_memberships(user)
    known: dict[int, str] | None = getattr(user, _CACHE_ATTR, None)
    if known is None:
        known = {}
        if getattr(user, "is_authenticated", False):
            setattr(user, _CACHE_ATTR, known)
    to_ask: list[int] = []
    for person in patients:
        if person.pk is None or person.pk in known:
            continue
        membership = memberships.get(person.network_id)
        if membership is None or membership.role not in CLINICAL_ROLES:
            known[person.pk] = ROLE
        elif _opens_all(membership):
            known[person.pk] = FULL
        else:
            to_ask.append(person.pk)
    if to_ask:
        for pk, involved, glass in _ask(user, to_ask):
            known[pk] = FULL if involved else BREAK_GLASS if glass else NOT_INVOLVED
    return known


# The statement `_ask` runs, compiled once per user and memberships: building and compiling
# its tree of EXISTS through the ORM took ~8 ms of every page that names a person, the
# database ~2 ms. Its text and parameters depend on nothing else (the clock is the
# database's), so it is kept, per process, up to this many users (then started afresh).
_STATEMENTS: dict[tuple, tuple[str, tuple]] = {}
_STATEMENTS_KEPT = 2048


def _statement_key(user: User) -> tuple:
    """What the statement for this user depends on: who they are, and each clinical
    membership's id, network, role and whether that network opens everyone to them."""
    return (
        user.pk,
        tuple((m.pk, m.network_id, m.role, _opens_all(m)) for m in clinical_memberships(user)),
    )


def _compile(user: User) -> tuple[str, tuple]:
    """For each person of an array of ids: involved? and a live grant? (ORM-built, once)."""
    rows = Patient.objects.annotate(
        involved=ExpressionWrapper(
            involvement_condition(user, now=Now()), output_field=BooleanField()
        ),
        glass=Exists(_live_grants(user, now=Now())),
    ).values_list("id", "involved", "glass")
    sql, params = rows.query.sql_with_params()
    # sql is the ORM's own text, its values all parameters.
    return f"SELECT a.id, a.involved, a.glass FROM ({sql}) AS a WHERE a.id = ANY(%s)", params  # noqa: S608


def _ask(user: User, ids: list[int]) -> list[tuple[int, bool, bool]]:
    """(id, involved, live grant) for each of these people (one query)."""
    key = _statement_key(user)
    statement = _STATEMENTS.get(key)
    if statement is None:
        if len(_STATEMENTS) >= _STATEMENTS_KEPT:
            _STATEMENTS.clear()
        statement = _STATEMENTS[key] = _compile(user)
    sql, params = statement
    with connections[router.db_for_read(Patient)].cursor() as cursor:
        cursor.execute(sql, [*params, ids])
        return cursor.fetchall()


def reads_clinical(user: User, patient: Person) -> bool:
    return patient.pk in clinical_patient_ids(user, [patient])


def clinical_access(user: User, patient: Person) -> str:
    """Why the user does or does not read this person's clinical detail: `full` (involved,
    or the network opens everyone), `break_glass` (a live grant), `not_involved` (may break
    the glass) or `role` (their role reads no clinical detail)."""
    if patient.pk is None:
        return ROLE
    return _access(user, [patient])[patient.pk]


def glass_open_until(user: User, patient: Person) -> Any:
    """When the user's latest live break-glass grant for the person ends (None: no grant)."""
    grant = (
        BreakGlass.objects.filter(
            user_id=user.pk, patient_id=patient.pk, expires_at__gt=timezone.now()
        )
        .order_by("-expires_at")
        .values_list("expires_at", flat=True)
        .first()
    )
    return grant


def refusal(user: User, patient: Any) -> str:
    """Why a clinical page refuses a clinical member not involved in the person's care (and
    what to do), or "" when the refusal is their role's."""
    if clinical_access(user, patient) != NOT_INVOLVED:
        return ""
    return (
        f"You are not involved in {patient.full_name}'s care, so their clinical detail is "
        "not open to you. Ask their key worker or care team, or break the glass on their page."
    )


def forget_clinical(user: User) -> None:
    """After the user broke the glass (or joined a care team) in this request."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _opens_all(membership: Membership) -> bool:
    """The network opens everyone to this clinical member: involvement is not required
    there, or they are its chair."""
    return not membership.network.involvement_required or membership.role == Role.CHAIR


def since(now: Any, days: int) -> Any:
    return now - timedelta(days=days)
