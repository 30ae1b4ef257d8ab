from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Value, When

from actions.models import Action
from core import ports
from core.queries import count_of
from core.typing import User
from networks.models import Membership, Network
from networks.roles import CLINICAL_ROLES, Role
from networks.selectors import network_ids_where
from patients.involvement import MEETING_DAYS
from patients.models import Frailty, Patient
from patients.restricted import Readers
from referrals.models import Referral

from .models import Intervention, Medication, MedicationReview, ResidentAllocation, Supply, Visit


def clinical_patients(user: User) -> QuerySet[Patient]:
    """People whose visits and medicines the user may see: clinical roles only (the PIC
    and managers see none of it)."""
    return Patient.objects.filter(network_id__in=network_ids_where(user, CLINICAL_ROLES))


def visits_visible_to(user: User) -> QuerySet[Visit]:
    return Visit.objects.filter(network_id__in=network_ids_where(user, CLINICAL_ROLES))


def medications_visible_to(user: User) -> QuerySet[Medication]:
    return Medication.objects.filter(
        patient__network_id__in=network_ids_where(user, CLINICAL_ROLES)
    )


def supplies_visible_to(user: User) -> QuerySet[Supply]:
    return Supply.objects.filter(patient__network_id__in=network_ids_where(user, CLINICAL_ROLES))


def reviews_visible_to(user: User) -> QuerySet[MedicationReview]:
    return MedicationReview.objects.filter(
        patient__network_id__in=network_ids_where(user, CLINICAL_ROLES)
    )


def active_medications(patient: Patient) -> QuerySet[Medication]:
    return Medication.objects.filter(patient=patient, stopped_on__isnull=True).order_by("name")


# --- My day and care-home stratification ----------------------------------------------------

FRAILTY_RANK = {"severe": 3, "moderate": 2, "mild": 1, "fit": 0, None: -1}
PHARMACIST_NEEDS = {"complex", "frequent_hospital_user", "end_of_life"}
TECHNICIAN_NEEDS = {"new_resident", "recently_discharged", "swallowing", "adherence"}

# A care-home resident and why they are in their group.
Resident = tuple[Patient, list[str]]


def _frailty_rank(field: str) -> Case:
    """FRAILTY_RANK in SQL: severe 3 ... fit 0, not recorded -1."""
    return Case(
        *(
            When(**{field: level}, then=Value(rank))
            for level, rank in FRAILTY_RANK.items()
            if level
        ),
        default=Value(-1),
    )


def my_day(user: User, network: Network, shown: int | None = None) -> dict[str, Any]:
    """A pharmacist's or technician's day: visits logged today, follow-ups due (today or
    overdue), and accepted medicines referrals with no visit since they were accepted, the
    first `shown` of them (all when None) with their number in `awaiting_total`; ordered by
    urgency, then frailty (most frail first). The referrals are ordered and cut in SQL: a
    network can have thousands awaiting, and reading them all took most of a second."""
    from django.db.models import Exists
    from django.utils import timezone

    today = timezone.localdate()
    visits_today = list(
        Visit.objects.filter(network=network, visitor=user, visited_at__date=today)
        .select_related("patient")
        .order_by("visited_at")
    )
    follow_ups = list(
        Action.objects.filter(
            network=network,
            assignee=user,
            status=Action.Status.OPEN,
            source=Action.Source.VISIT,
            due_on__lte=today,
        )
        .select_related("patient")
        .order_by("due_on", "id")
    )
    visited_since = Visit.objects.filter(
        patient_id=OuterRef("patient_id"), visited_at__gte=OuterRef("triaged_at")
    )
    waiting = Referral.objects.filter(
        network=network, service="medicines_optimisation", status=Referral.Status.ACCEPTED
    ).exclude(Exists(visited_since))
    awaiting = (
        waiting.select_related("patient", "triaged_by")
        .annotate(
            routine=Case(When(urgency="urgent", then=Value(0)), default=Value(1)),
            frailty_rank=_frailty_rank("patient__frailty"),
        )
        .order_by("routine", "-frailty_rank", F("triaged_at").asc(nulls_last=True), "id")
    )
    follow_ups.sort(key=lambda a: (a.due_on, -FRAILTY_RANK.get(a.patient.frailty, -1)))
    return {
        "visits_today": visits_today,
        "follow_ups": follow_ups,
        "awaiting_visit": list(awaiting if shown is None else awaiting[:shown]),
        "awaiting_total": waiting.count(),
    }


def _admissions_within(days: int) -> Any:
    """A person's admissions in the last `days` days as an expression on OuterRef("pk"), from
    reports through the port settings.ICN_PORTS["admissions_within"]: medicines sits on a
    floor below the one that holds admissions."""
    (expression,) = ports.call("admissions_within", days)
    return expression


def _high_frailty() -> set[str]:
    """The frailty levels at or above settings.ICN_STRATIFICATION["HIGH_FRAILTY"]."""
    levels = list(Frailty.values)
    threshold = settings.ICN_STRATIFICATION["HIGH_FRAILTY"]
    return set(levels[levels.index(threshold) :]) if threshold in levels else set()


def care_home_stratification(
    network: Network, *, shown: int | None = None, allocated_to: int | None = None
) -> dict[str, list[Resident]]:
    """Care-home residents, priority cases first, split as PRODUCT.md says: technicians take
    new and recently discharged residents and swallowing or adherence problems; pharmacists
    take complex residents, high frailty, frequent hospital users and end of life care.

    The inputs come from the needs ticked on the record and from data ICN holds, with the
    thresholds in settings.ICN_STRATIFICATION: an admission in the last RECENT_DISCHARGE_DAYS
    (recently discharged), COMPLEX_MEDICINES or more current medicines, the frailty level
    (which follows the latest eFI or CFS) at HIGH_FRAILTY or above, HOSPITAL_USE_ADMISSIONS
    admissions in HOSPITAL_USE_DAYS. Each resident carries every reason that placed them: a
    pharmacist's resident with a swallowing problem shows it too, and a technician need never
    leaves a resident "Routine".

    Each group holds its first `shown` residents (all if None), of those allocated to the
    user `allocated_to` if given; `.totals` on the result counts each group in all. Two
    queries however many residents: every resident's inputs as plain values (a network can
    have thousands in care homes), then the records of the residents shown."""
    rules = settings.ICN_STRATIFICATION
    high_frailty = _high_frailty()
    medicines = Medication.objects.filter(patient=OuterRef("pk"), stopped_on__isnull=True)
    residents = Patient.objects.filter(network=network, care_home__isnull=False)
    if allocated_to is not None:
        residents = residents.filter(medicines_allocation__member__user_id=allocated_to)
    inputs = residents.annotate(
        active_medicines=count_of(medicines, "patient"),
        recent_admissions=_admissions_within(rules["RECENT_DISCHARGE_DAYS"]),
        hospital_use=_admissions_within(rules["HOSPITAL_USE_DAYS"]),
    ).values_list(
        "pk",
        "care_needs",
        "frailty",
        "family_name",
        "active_medicines",
        "recent_admissions",
        "hospital_use",
    )
    groups: dict[str, list[tuple[int, list[str], str | None, str]]] = {
        "pharmacist": [],
        "technician": [],
        "routine": [],
    }
    for pk, care_needs, frailty, family_name, medicines_n, recent, hospital_use in inputs:
        needs = set(care_needs)
        reasons = sorted(needs & PHARMACIST_NEEDS)
        if frailty in high_frailty:
            reasons.append(f"high frailty ({Frailty(frailty).label.lower()})")
        if medicines_n >= rules["COMPLEX_MEDICINES"] and "complex" not in needs:
            reasons.append(f"{medicines_n} medicines")
        if (
            hospital_use >= rules["HOSPITAL_USE_ADMISSIONS"]
            and "frequent_hospital_user" not in needs
        ):
            plural = "" if hospital_use == 1 else "s"
            reasons.append(f"{hospital_use} admission{plural} in {rules['HOSPITAL_USE_DAYS']} days")
        technician_reasons = sorted(needs & TECHNICIAN_NEEDS)
        if recent and "recently_discharged" not in needs:
            technician_reasons.append(f"admitted in the last {rules['RECENT_DISCHARGE_DAYS']} days")
        row = (pk, reasons + technician_reasons, frailty, family_name)
        if reasons:
            groups["pharmacist"].append(row)
        elif technician_reasons:
            groups["technician"].append(row)
        else:
            groups["routine"].append(row)
    chosen: dict[str, list[tuple[int, list[str], str | None, str]]] = {}
    for name, rows in groups.items():
        rows.sort(key=lambda row: (-len(row[1]), -FRAILTY_RANK.get(row[2], -1), row[3]))
        chosen[name] = rows if shown is None else rows[:shown]
    wanted = [row[0] for rows in chosen.values() for row in rows]
    # Asked even when no one is shown (id 0 is no one's), so the count of queries is the same
    # with no residents as with thousands.
    people = {
        person.pk: person
        for person in Patient.objects.select_related(
            "care_home", "medicines_allocation__member__user"
        ).filter(pk__in=wanted or [0])
    }
    result = Stratified(
        {name: [(people[row[0]], row[1]) for row in rows] for name, rows in chosen.items()}
    )
    result.totals = {name: len(rows) for name, rows in groups.items()}
    return result


class Stratified(dict[str, list[Resident]]):
    """care_home_stratification's groups, with `totals`: each group's residents in all."""

    totals: dict[str, int]


def allocatable_staff(network: Network) -> QuerySet[Membership]:
    """The network's active pharmacists and pharmacy technicians, each with how many
    care-home residents are allocated to them (`caseload`): one query."""
    return (
        Membership.objects.filter(
            network=network,
            is_active=True,
            role__in=[Role.PHARMACIST, Role.PHARMACY_TECHNICIAN],
        )
        .select_related("user")
        .annotate(caseload=Count("resident_allocations"))
        .order_by("role", "user__first_name", "user__last_name", "pk")
    )


# --- restricted visits (API.md 1.1) ------------------------------------------------------------


OBSERVATION_FIELDS = (
    "systolic_bp",
    "diastolic_bp",
    "pulse",
    "respiratory_rate",
    "temperature_c",
    "spo2",
    "consciousness",
)


def _blank(visit: Visit) -> None:
    """Empty, in memory, what a sealed visit hides: whatever reads it shows nothing of it."""
    visit.summary = ""
    visit.restricted_reason = ""
    for name in OBSERVATION_FIELDS:
        setattr(visit, name, None)
    visit.on_oxygen = False
    visit.news2_score = None
    visit.news2_complete = False
    prefetched = {**getattr(visit, "_prefetched_objects_cache", {})}
    prefetched["interventions"] = Intervention.objects.none()
    setattr(visit, "_prefetched_objects_cache", prefetched)  # noqa: B010 (not a Visit field)


def seal_visits(user: User, visits: list[Visit], *, patient: Patient | None = None) -> list[Visit]:
    """Mark each visit `sealed` when it is restricted and the user may not read it (not its
    author, the person's key worker, the chair, nor holding a live break-glass grant), and blank
    its summary, observations, NEWS2 and changes to medicines in memory (a sealed copy refuses
    to be saved). No query unless a restricted visit is met; then one for the grants. Each
    visit's person is `patient` when given, else `visit.patient` (select it)."""
    readers = Readers(user)
    restricted = [v for v in visits if v.restricted]
    if restricted:
        readers.load_grants({v.patient_id for v in restricted})
    for visit in visits:
        person = patient if patient is not None else visit.patient
        visit.sealed = not readers.opens(
            restricted=visit.restricted, patient=person, author_id=visit.visitor_id
        )
        if visit.sealed:
            _blank(visit)
    return visits


def visit_sealed(user: User, visit: Visit) -> Visit:
    return seal_visits(user, [visit])[0]


def patient_involvement(*, memberships: list[Membership], now: datetime) -> Q:
    """The ``patient_involvement`` port (patients.involvement): a condition on Patient, the
    member is the care-home resident's allocated pharmacist or technician, or visited the
    person (or joined the visit) in the last MEETING_DAYS days."""
    since = now - timedelta(days=MEETING_DAYS)
    allocated = ResidentAllocation.objects.filter(
        patient_id=OuterRef("pk"), member_id__in=[m.pk for m in memberships]
    )
    condition = Q(Exists(allocated))
    for membership in memberships:
        visits = Visit.objects.filter(
            patient_id=OuterRef("pk"), network_id=membership.network_id, visited_at__gte=since
        )
        user_id = membership.user_id
        condition |= Q(Exists(visits.filter(Q(visitor_id=user_id) | Q(joint_visitor_id=user_id))))
    return condition
