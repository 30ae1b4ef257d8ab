"""Writes for visits, the medication list, reviews and dispensing history. Each takes `by` and
runs inside `core.attribution.acting(by)`, so the row history names who did it."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from actions.models import Action
from actions.services import action_create
from core.attribution import attributed
from core.csv_upload import CSV_MAX_BYTES, CsvProblems, csv_date, csv_rows, read_text
from core.errors import Conflict
from core.typing import User
from core.validators import LINE_BREAKS
from networks.models import Membership
from networks.roles import CASEWORK_ROLES, Role
from networks.selectors import membership_in
from patients.models import Patient
from patients.restricted import RESTRICT_REASON_REQUIRED, may_restrict, restriction_set
from referrals.models import PatientFlag, RedFlag, Referral
from referrals.services import flag_raise

from . import dispensing, gp_import, news2
from .models import (
    Intervention,
    Medication,
    MedicationImport,
    MedicationImportLine,
    MedicationReview,
    ResidentAllocation,
    Supply,
    Visit,
)

OBSERVATIONS = (
    "systolic_bp",
    "diastolic_bp",
    "pulse",
    "respiratory_rate",
    "temperature_c",
    "spo2",
    "on_oxygen",
    "spo2_scale",
    "consciousness",
)
RISK_FIELDS = ("infection_risk", "lone_working_risk", "preference")


@dataclass
class VisitLogged:
    visit: Visit
    referrals: list[Referral] = field(default_factory=list)
    flags: list[PatientFlag] = field(default_factory=list)
    held_for_consent: list[PatientFlag] = field(default_factory=list)  # no consent to share
    task: Action | None = None
    escalation_task: Action | None = None


def _score(visit: Visit) -> None:
    result = visit.news2()
    visit.news2_score = result.score if result.measured else None
    visit.news2_complete = result.complete
    visit.news2_escalation = news2.escalation(result)


def escalation_role() -> str:
    """The role whose queue gets NEWS2 escalations (settings.ICN_NEWS2_ESCALATION_ROLE)."""
    return settings.ICN_NEWS2_ESCALATION_ROLE


def escalation_role_label() -> str:
    role = escalation_role()
    return str(Role(role).label) if role in Role.values else role


@attributed
@transaction.atomic
def visit_news2_escalate(*, visit: Visit, by: User) -> Action | None:
    """The visit's urgent task for a NEWS2 of 5 or more (or 3 in one parameter): due today, in
    the escalation role's queue. Once per visit however often this runs: the visit row is
    locked and holds its task (a one-to-one), so a second run returns the same task."""
    locked = Visit.objects.select_for_update().select_related("patient").get(pk=visit.pk)
    if locked.news2_escalation == Visit.Escalation.NONE:
        return None
    if locked.news2_task_id is None:
        score = locked.news2_score
        red = " (3 in one parameter)" if score is not None and score < 5 else ""
        response = locked.get_news2_escalation_display().lower()
        locked.news2_task = action_create(
            patient=locked.patient,
            by=by,
            # A restricted visit's task (read by the escalation role's queue) keeps the
            # response needed and leaves its score to those who may open the visit.
            title=(
                f"Urgent: NEWS2 escalation at a restricted visit, {response}"
                if locked.restricted
                else f"Urgent: NEWS2 {score}{red} at a visit, {response}"
            ),
            details=(
                f"{locked.news2_guidance}\nRecorded at the "
                f"{locked.get_kind_display().lower()} on "
                f"{timezone.localtime(locked.visited_at):%d %b %Y %H:%M}."
            ),
            due_on=timezone.localdate(),
            assignee_role=escalation_role(),
            source=Action.Source.VISIT,
        )
        locked.save(update_fields=["news2_task"])
    visit.news2_task = locked.news2_task
    return locked.news2_task


@attributed
@transaction.atomic
def visit_news2_acknowledge(*, visit: Visit, by: User) -> Visit:
    """A clinician has seen the visit's NEWS2 escalation: the warning leaves the person's page.
    Who may is the view's (rules: medicines.acknowledge_news2); a visit with nothing to
    acknowledge, or acknowledged already, is a Conflict and nothing changes."""
    locked = Visit.objects.select_for_update().get(pk=visit.pk)
    if locked.news2_escalation == Visit.Escalation.NONE:
        raise Conflict("This visit's NEWS2 needed no escalation: there is nothing to acknowledge.")
    if locked.news2_acknowledged_at is not None:
        raise Conflict("This visit's NEWS2 escalation is already acknowledged.")
    locked.news2_acknowledged_at = timezone.now()
    locked.news2_acknowledged_by = by
    locked.save(update_fields=["news2_acknowledged_at", "news2_acknowledged_by"])
    return locked


def _find_active(
    patient: Patient, *, medication_id: int | None = None, name: str = ""
) -> Medication | None:
    active = Medication.objects.filter(patient=patient, stopped_on__isnull=True)
    if medication_id:
        return active.filter(pk=medication_id).first()
    if name.strip():
        return active.filter(name__iexact=name.strip()).first()
    return None


def _apply_intervention(
    *, visit: Visit, by: User, index: int, data: dict[str, Any]
) -> Intervention:
    """Record the intervention and change the medication list to match, so there is one
    reconciled list."""
    kind = data["kind"]
    name = (data.get("medicine") or "").strip()
    note = (data.get("note") or "").strip()
    day = timezone.localdate(visit.visited_at)

    def error(field_name: str, message: str) -> ValidationError:
        return ValidationError(
            {"interventions": [f"Intervention {index + 1} ({field_name}): {message}"]}
        )

    medication = None
    if kind in (Intervention.Kind.STOPPED, Intervention.Kind.DOSE_CHANGED):
        medication = _find_active(visit.patient, medication_id=data.get("medication"), name=name)
        if medication is None:
            raise error(
                "medicine", f"{name or 'This medicine'} is not on the active medication list."
            )
        if kind == Intervention.Kind.STOPPED:
            medication.stopped_on = max(day, medication.started_on or day)
            medication.stop_reason = note[:300] or "Stopped at a visit"
            medication.save(update_fields=["stopped_on", "stop_reason"])
        elif data.get("dose"):
            dose = data["dose"]
            for attr, key in (
                ("dose_amount", "amount"),
                ("dose_unit", "unit"),
                ("frequency", "frequency"),
                ("route", "route"),
            ):
                if dose.get(key) not in (None, ""):
                    setattr(medication, attr, dose[key])
            medication.full_clean(exclude=["patient", "created_by"])
            medication.save()
    elif kind == Intervention.Kind.STARTED:
        dose = data.get("dose") or {}
        if not name or not dose.get("amount") or not dose.get("frequency"):
            raise error(
                "dose", "To start a medicine give its name and dose (amount and frequency)."
            )
        medication = Medication(
            patient=visit.patient,
            name=name,
            strength=data.get("strength", ""),
            form=data.get("form") or Medication.Form.TABLET,
            dose_amount=dose["amount"],
            dose_unit=dose.get("unit") or "tablet",
            frequency=dose["frequency"],
            route=dose.get("route") or Medication.Route.ORAL,
            started_on=day,
            prescriber=data.get("prescriber", ""),
            created_by=by,
        )
        try:
            medication.full_clean(exclude=["patient", "created_by"])
        except ValidationError as exc:
            raise error("dose", "; ".join(exc.messages)) from exc
        medication.save()
    elif kind == Intervention.Kind.COMPLIANCE_AID:
        targets = Medication.objects.filter(patient=visit.patient, stopped_on__isnull=True)
        if name:
            targets = targets.filter(name__iexact=name)
            if not targets.exists():
                raise error("medicine", f"{name} is not on the active medication list.")
        targets.update(compliance_aid=True)
        medication = targets.first() if name else None
    intervention = Intervention(
        visit=visit,
        kind=kind,
        medicine=name or (medication.name if medication else ""),
        medication=medication,
        note=note,
    )
    intervention.full_clean(exclude=["visit", "medication"])
    intervention.save()
    return intervention


@attributed
@transaction.atomic
def visit_log(
    *,
    patient: Patient,
    by: User,
    kind: str,
    visited_at: datetime,
    summary: str = "",
    observations: dict[str, Any] | None = None,
    risk: dict[str, Any] | None = None,
    joint_visitor: User | None = None,
    red_flags: Sequence[RedFlag] = (),
    interventions: Sequence[dict[str, Any]] = (),
    follow_up_on: date | None = None,
    restricted: bool = False,
    restricted_reason: str = "",
) -> VisitLogged:
    """Log a visit: observations with NEWS2, red flags raising referrals (once), changes to
    medicines applied to the list, and a follow-up task for the visitor. `restricted` (with
    its reason) seals it from all but its author, the key worker and the chair."""
    errors: dict[str, list] = {}
    restricted_reason = (restricted_reason or "").strip()
    if restricted and not restricted_reason:
        errors["restricted_reason"] = [RESTRICT_REASON_REQUIRED]
    if visited_at > timezone.now() + timedelta(minutes=5):
        errors["visited_at"] = ["A visit cannot be logged for the future."]
    elif visited_at < timezone.now() - timedelta(days=366):
        errors["visited_at"] = ["A visit more than a year ago cannot be logged here."]
    if follow_up_on is not None and follow_up_on < timezone.localdate():
        errors["follow_up_on"] = ["The follow-up date cannot be in the past."]
    if joint_visitor is not None:
        joint = membership_in(joint_visitor, patient.network_id)
        if joint is None or joint.role not in CASEWORK_ROLES:
            errors["joint_visitor"] = [
                "The joint visitor must be a member of this person's network."
            ]
        elif joint_visitor.pk == by.pk:
            errors["joint_visitor"] = ["The joint visitor is someone other than you."]
    if errors:
        raise ValidationError(errors)
    visit = Visit(
        network_id=patient.network_id,
        patient=patient,
        kind=kind,
        visitor=by,
        joint_visitor=joint_visitor,
        visited_at=visited_at,
        summary=(summary or "").strip(),
        follow_up_on=follow_up_on,
        restricted=restricted,
        restricted_reason=restricted_reason if restricted else "",
        restricted_by=by if restricted else None,
        restricted_at=timezone.now() if restricted else None,
        **(observations or {}),
        **(risk or {}),
    )
    visit.full_clean(exclude=["network", "patient", "visitor", "joint_visitor", "follow_up_action"])
    _score(visit)
    visit.save()
    logged = VisitLogged(visit=visit)
    for index, data in enumerate(interventions):
        _apply_intervention(visit=visit, by=by, index=index, data=data)
    for flag in red_flags:
        raised = flag_raise(
            patient=patient, flag=flag, by=by, raised_from=PatientFlag.RaisedFrom.VISIT
        )
        logged.referrals.extend(raised.flag_referrals)
        logged.flags.extend(raised.flags)
        logged.held_for_consent.extend(raised.held_for_consent)
    if follow_up_on is not None:
        logged.task = action_create(
            patient=patient,
            by=by,
            title=f"Follow-up {visit.get_kind_display().lower()}",
            details=f"Follow-up agreed at the visit on {timezone.localdate(visited_at):%d %b %Y}.",
            due_on=follow_up_on,
            assignee=by,
            source=Action.Source.VISIT,
        )
        visit.follow_up_action = logged.task
        visit.save(update_fields=["follow_up_action"])
    logged.escalation_task = visit_news2_escalate(visit=visit, by=by)
    return logged


@attributed
@transaction.atomic
def visit_restrict(*, visit: Visit, by: User, restricted: bool, reason: str = "") -> Visit:
    """Restrict a visit (with a reason) or lift the restriction: only its author or the chair
    of the person's network (PermissionDenied otherwise); the row history keeps who and when."""
    locked = Visit.objects.select_for_update().select_related("patient").get(pk=visit.pk)
    if not may_restrict(by, patient=locked.patient, author_id=locked.visitor_id):
        raise PermissionDenied("Only the visit's author or the chair may restrict it.")
    fields = restriction_set(locked, prefix="", by=by, restricted=restricted, reason=reason)
    locked.full_clean(
        exclude=["network", "patient", "visitor", "joint_visitor", "follow_up_action"]
    )
    locked.save(update_fields=fields)
    return locked


@attributed
@transaction.atomic
def medication_add(*, patient: Patient, by: User, **data: Any) -> Medication:
    medication = Medication(patient=patient, created_by=by, **data)
    medication.full_clean(exclude=["patient", "created_by"])
    medication.save()
    return medication


@attributed
@transaction.atomic
def medication_review_record(
    *,
    patient: Patient,
    by: User,
    reviewed_on: date,
    outcome: str,
    agreed_actions: str = "",
    visit: Visit | None = None,
) -> MedicationReview:
    if reviewed_on > timezone.localdate():
        raise ValidationError({"reviewed_on": ["A review cannot be dated in the future."]})
    review = MedicationReview(
        patient=patient,
        reviewer=by,
        reviewed_on=reviewed_on,
        outcome=outcome,
        agreed_actions=(agreed_actions or "").strip(),
        visit=visit,
    )
    review.full_clean(exclude=["patient", "reviewer", "visit"])
    review.save()
    return review


@dataclass
class SuppliesAdded:
    supplies: list[Supply] = field(default_factory=list)
    skipped: int = 0
    findings: list[dispensing.Finding] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)


def _match(patient: Patient, name: str) -> Medication | None:
    return (
        Medication.objects.filter(patient=patient, name__iexact=name.strip())
        .order_by("stopped_on")
        .first()
    )


@attributed
@transaction.atomic
def supplies_add(
    *, patient: Patient, by: User, rows: list[dict[str, Any]], source: str = Supply.Source.MANUAL
) -> SuppliesAdded:
    """Add dispensing rows (medicine, dispensed_on, quantity), skipping exact repeats, then
    derive red flags from the history (each raises its referral once). All or nothing: a row
    refused part-way leaves none of the others saved."""
    result = SuppliesAdded()
    today = timezone.localdate()
    for index, row in enumerate(rows):
        if row["dispensed_on"] > today:
            raise ValidationError(
                {"rows": [f"Row {index + 1}: the dispensing date is in the future."]}
            )
        supply = Supply(
            patient=patient,
            medicine=row["medicine"].strip(),
            dispensed_on=row["dispensed_on"],
            quantity=row["quantity"],
            source=source,
            created_by=by,
            medication=_match(patient, row["medicine"]),
        )
        supply.full_clean(
            exclude=["patient", "medication", "created_by"], validate_constraints=False
        )
        try:
            with transaction.atomic():
                supply.save()
        except IntegrityError:
            result.skipped += 1
            continue
        result.supplies.append(supply)
    findings, referrals = dispensing_check(patient=patient, by=by)
    result.findings, result.referrals = findings, referrals
    return result


@attributed
def dispensing_check(
    *, patient: Patient, by: User
) -> tuple[list[dispensing.Finding], list[Referral]]:
    findings = dispensing.analyse(
        Medication.objects.filter(patient=patient, stopped_on__isnull=True),
        Supply.objects.filter(patient=patient),
        timezone.localdate(),
    )
    referrals: list[Referral] = []
    if not findings:
        return findings, referrals
    flags = {
        f.code: f for f in RedFlag.objects.filter(code__in=[f.code for f in findings], active=True)
    }
    for finding in findings:
        flag = flags.get(finding.code)
        if flag is None:
            continue
        raised = flag_raise(
            patient=patient,
            flag=flag,
            by=by,
            raised_from=PatientFlag.RaisedFrom.DISPENSING,
            note=finding.explanation,
        )
        referrals.extend(raised.flag_referrals)
    return findings, referrals


CSV_COLUMNS = ("medicine", "dispensed_on", "quantity")
# The largest dispensing CSV accepted, on the page and through the API (about 25,000 rows;
# a person's dispensing history over years is a few hundred). Larger files are refused, never
# cut short.
SUPPLY_CSV_MAX_BYTES = CSV_MAX_BYTES
SUPPLY_CSV_HELP = (
    "CSV with a header row naming the columns medicine, dispensed_on, quantity (dates as "
    f"YYYY-MM-DD or DD/MM/YYYY), UTF-8, at most {SUPPLY_CSV_MAX_BYTES:,} bytes."
)


def read_supplies_csv(upload: IO[bytes]) -> list[dict[str, Any]]:
    """The rows of an uploaded dispensing CSV (a file object with `size` and `read`), for the
    page and the API alike. Anything that is not a readable CSV of dispensings raises a
    ValidationError on `file` naming the line; a file over SUPPLY_CSV_MAX_BYTES is refused
    whole, never read in part."""
    return parse_supplies_csv(read_text(upload, max_bytes=SUPPLY_CSV_MAX_BYTES))


def parse_supplies_csv(text: str) -> list[dict[str, Any]]:
    """Rows of `medicine,dispensed_on,quantity` (a header row, dates YYYY-MM-DD or
    DD/MM/YYYY). Every row is checked; the error names each bad row by its line number."""
    lines, problems = csv_rows(text, columns=CSV_COLUMNS)
    rows = []
    today = timezone.localdate()
    for line, row in lines:
        try:
            parsed = _parse_row(row)
            if parsed["dispensed_on"] > today:
                raise ValueError("the dispensing date is in the future")
            rows.append(parsed)
        except ValueError as exc:
            problems.append((line, str(exc)))
    if problems:
        raise CsvProblems(problems)
    if not rows:
        raise ValidationError({"file": ["Line 2: there are no dispensings under the first row."]})
    return rows


def _parse_row(row: dict[str, str]) -> dict[str, Any]:
    name = row.get("medicine", "")
    if not name:
        raise ValueError("the medicine is missing")
    if len(name) > 200:
        raise ValueError("the medicine name is longer than 200 characters")
    if not LINE_BREAKS.isdisjoint(name):
        raise ValueError("the medicine name must be on a single line (no line breaks)")
    day = csv_date(row.get("dispensed_on", ""))
    if day.year < 1900:
        raise ValueError("the dispensing date is before 1900")
    try:
        quantity = Decimal(row.get("quantity", ""))
    except InvalidOperation:
        raise ValueError(f"{row.get('quantity', '')[:40]!r} is not a quantity") from None
    if not quantity.is_finite() or quantity <= 0 or quantity >= Decimal("1000000"):
        raise ValueError("the quantity must be a positive number")
    if quantity != quantity.quantize(Decimal("0.01")):
        raise ValueError("the quantity has more than 2 decimal places")
    return {"medicine": name, "dispensed_on": day, "quantity": quantity}


# --- care-home residents allocated to named staff --------------------------------------------

ALLOCATORS = frozenset({Role.CHAIR, Role.PHARMACIST})  # the medicines lead and the chair
ALLOCATABLE = frozenset({Role.PHARMACIST, Role.PHARMACY_TECHNICIAN})
NOT_ALLOCATABLE = "Choose a pharmacist or pharmacy technician of this network."
NOT_A_RESIDENT = "Only care-home residents are allocated to the medicines team."


@attributed
@transaction.atomic
def resident_allocate(*, patient: Patient, member_id: int | None, by: User) -> ResidentAllocation:
    """Allocate (or reallocate) a care-home resident to a named pharmacist or pharmacy
    technician of the resident's network. Only the medicines lead (a pharmacist) or the chair
    may (PermissionDenied); a member who is not an active pharmacist or technician there, or
    a person not in a care home, is a ValidationError and nothing is saved. The row history
    keeps every earlier allocation and who made it."""
    allocator = membership_in(by, patient.network_id)
    if allocator is None or allocator.role not in ALLOCATORS:
        raise PermissionDenied("Only the medicines lead or the chair allocates residents.")
    if patient.care_home_id is None:
        raise ValidationError({"member": [NOT_A_RESIDENT]})
    member = (
        Membership.objects.filter(
            pk=member_id, network_id=patient.network_id, is_active=True, role__in=ALLOCATABLE
        ).first()
        if member_id
        else None
    )
    if member is None:
        raise ValidationError({"member": [NOT_ALLOCATABLE]})
    allocation = ResidentAllocation.objects.select_for_update().filter(patient=patient).first()
    if allocation is None:
        allocation = ResidentAllocation(patient=patient)
    elif allocation.member_id == member.pk:
        return allocation
    allocation.member = member
    allocation.allocated_by = by
    allocation.allocated_at = timezone.now()
    allocation.save()
    return allocation


# --- a GP medication list: staged, then reconciled line by line ------------------------------


def _import_match(
    statement: gp_import.Statement, ours: dict[str, Medication]
) -> tuple[str, Medication | None]:
    """How a statement stands against the reconciled list: by dm+d code only (names differ
    between systems), dose compared as ICN holds it."""
    Match = MedicationImportLine.Match
    if not statement.dmd_code:
        return Match.NOT_CODED, None
    medication = ours.get(statement.dmd_code)
    if medication is None:
        return Match.NEW, None
    dose = statement.dose
    same = bool(dose) and all(
        (
            dose["dose_amount"] == medication.dose_amount,
            dose["dose_unit"].lower() == medication.dose_unit.lower(),
            dose["frequency"] == medication.frequency,
            dose["route"] == medication.route,
        )
    )
    return (Match.SAME if same else Match.DIFFERS), medication


@attributed
@transaction.atomic
def medication_import_stage(
    *, patient: Patient, by: User, source_text: str, channel: str
) -> MedicationImport:
    """Stage a GP medication list (a FHIR Bundle as text) for the person: one line per
    MedicationStatement, matched to the active reconciled list by dm+d code (new, same,
    differs, not coded). Nothing on the list changes here: each line waits for a decision
    (medication_import_line_decide). A Bundle that cannot be read, or a statement about
    someone else, is a ValidationError on ``bundle`` saying where; nothing is saved."""
    statements = gp_import.read_statements(source_text, nhs_number=patient.nhs_number)
    ours = {  # the newest active line with each code
        m.dmd_code: m
        for m in Medication.objects.filter(
            patient=patient, stopped_on__isnull=True, dmd_code__gt=""
        ).order_by("created_at", "id")
    }
    staged = MedicationImport.objects.create(
        network_id=patient.network_id,
        patient=patient,
        channel=channel,
        source_text=source_text,
        created_by=by,
    )
    lines = []
    for statement in statements:
        match, medication = _import_match(statement, ours)
        dose = statement.dose
        lines.append(
            MedicationImportLine(
                medication_import=staged,
                position=statement.position,
                name=statement.name,
                dmd_code=statement.dmd_code,
                status=statement.status[:20],
                dose_text=statement.dose_text,
                dose_amount=dose.get("dose_amount"),
                dose_unit=dose.get("dose_unit", ""),
                frequency=dose.get("frequency", ""),
                route=dose.get("route", ""),
                dose_not_held=statement.dose_not_held,
                match=match,
                medication=medication,
            )
        )
    MedicationImportLine.objects.bulk_create(lines)
    return staged


NO_DOSE = "Their dose cannot be held in ICN's fields ({why}); add the medicine by hand."


@attributed
@transaction.atomic
def medication_import_line_decide(
    *, line: MedicationImportLine, decision: str, by: User
) -> MedicationImportLine:
    """The pharmacist's decision on one staged line, once: add it to the list, keep ours,
    take their dose onto our line, or ignore it. Changes go through the list's own rows
    (their history records them); the line records who decided and when. Another decision
    on a decided line is a Conflict; a decision the line does not offer, or a dose ICN
    cannot hold, is a ValidationError and nothing changes."""
    locked = (
        MedicationImportLine.objects.select_for_update(of=("self",))
        .select_related("medication_import__patient")
        .get(pk=line.pk)
    )
    patient = locked.medication_import.patient
    if not by.has_perm("medicines.change_medicines", patient):
        raise PermissionDenied("Only a member involved in the person's care changes medicines.")
    if locked.decision:
        raise Conflict(
            f"{locked.name} was decided already ({locked.get_decision_display().lower()})."
        )
    if decision not in dict(locked.choices):
        raise ValidationError(
            {"decision": [f"Choose one of: {', '.join(dict(locked.choices).values())}."]}
        )
    Decision = MedicationImportLine.Decision
    if decision in (Decision.ADD, Decision.TAKE_THEIRS) and not locked.dose_held:
        raise ValidationError({"decision": [NO_DOSE.format(why=locked.dose_not_held.rstrip("."))]})
    dose = {
        "dose_amount": locked.dose_amount,
        "dose_unit": locked.dose_unit,
        "frequency": locked.frequency,
        "route": locked.route,
    }
    if decision == Decision.ADD:
        locked.result = medication_add(
            patient=patient,
            by=by,
            name=locked.name,
            dmd_code=locked.dmd_code,
            started_on=None,
            prescriber="GP",
            **dose,
        )
    elif decision == Decision.TAKE_THEIRS:
        if locked.medication_id is None:  # only a line that differs is offered this
            raise Conflict(f"{locked.name} has no line of ours to change.")
        medication = Medication.objects.select_for_update().get(pk=locked.medication_id)
        if medication.stopped_on is not None:
            raise Conflict(f"Our {medication.name} was stopped since the list was brought in.")
        for attr, value in dose.items():
            setattr(medication, attr, value)
        medication.full_clean(exclude=["patient", "created_by"])
        medication.save(update_fields=list(dose))
        locked.result = medication
    locked.decision = decision
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.save(update_fields=["decision", "decided_by", "decided_at", "result"])
    return locked
