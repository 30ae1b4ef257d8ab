"""Every write to a person's record. Callers have already checked the caller may act
(rules); services enforce the invariants and keep history: each takes `by` and runs inside
`core.attribution.acting(by)`, so the row history names who did it."""

from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import BreakGlass
from audit.services import break_glass_record
from core import nhs_number, ports
from core.attribution import attributed
from core.csv_upload import CSV_MAX_BYTES, CsvProblems, csv_date, csv_rows, read_text
from core.errors import Conflict, NotAllowed
from networks.models import Membership, Network, Organisation

from . import frailty
from .involvement import forget_clinical
from .models import CareTeamMember, Consent, FrailtyAssessment, FrailtyScale, Goal, Patient
from .restricted import Readers, may_restrict_clinical_notes, restriction_set
from .selectors import NOT_THE_NETWORKS

CONTACT_FIELDS = (
    "nhs_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "address",
    "postcode",
    "phone",
    "gp_practice",
    "care_home",
    "key_worker",
)
SOCIAL_FIELDS = ("notes_for_visitors", "social_needs", "what_matters")
CLINICAL_FIELDS = ("frailty", "caseload_reason", "clinical_notes", "care_needs")
EDITABLE_FIELDS = CONTACT_FIELDS + SOCIAL_FIELDS + CLINICAL_FIELDS

DUPLICATE_NHS = "A person with this NHS number is already recorded in this network."


def _check_fields(*, data: dict[str, Any], clinical_allowed: bool) -> None:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: ["This field cannot be set here."] for f in sorted(unknown)})
    touched = [f for f in CLINICAL_FIELDS if f in data]
    if touched and not clinical_allowed:
        raise NotAllowed(f"Your role may not record clinical details ({', '.join(touched)}).")


def _check_key_worker(*, key_worker: Membership | None, network: Network) -> None:
    if key_worker is not None and (key_worker.network_id != network.id or not key_worker.is_active):
        raise ValidationError(
            {"key_worker": ["The key worker must be an active member of this network."]}
        )


def _save(patient: Patient) -> None:
    patient.full_clean(exclude=["network", "created_by", "consent_recorded_by", "key_worker"])
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:
        if "patient_nhs_number_unique_in_network" in str(exc):
            raise Conflict(DUPLICATE_NHS, field="nhs_number") from exc
        raise


@attributed
@transaction.atomic
def patient_create(*, network: Network, by: User, clinical_allowed: bool, **data: Any) -> Patient:
    _check_fields(data=data, clinical_allowed=clinical_allowed)
    _check_key_worker(key_worker=data.get("key_worker"), network=network)
    patient = Patient(network=network, created_by=by, **data)
    _save(patient)
    if patient.frailty:
        FrailtyAssessment.objects.create(
            patient=patient,
            frailty=patient.frailty,
            assessed_on=timezone.localdate(),
            recorded_by=by,
        )
    return patient


@attributed
@transaction.atomic
def patient_update(*, patient: Patient, by: User, clinical_allowed: bool, **data: Any) -> Patient:
    _check_fields(data=data, clinical_allowed=clinical_allowed)
    if "clinical_notes" in data:
        # The restriction as stored now, whatever the copy in hand says.
        stored = Patient.objects.select_for_update().get(pk=patient.pk)
        if not Readers(by).opens(
            restricted=stored.clinical_notes_restricted,
            patient=stored,
            author_id=stored.clinical_notes_restricted_by_id,
        ):
            raise NotAllowed(NOTES_RESTRICTED)
    if "key_worker" in data:
        _check_key_worker(key_worker=data["key_worker"], network=patient.network)
    old_frailty = patient.frailty
    for field, value in data.items():
        setattr(patient, field, value)
    _save(patient)
    if "frailty" in data and data["frailty"] != old_frailty:
        FrailtyAssessment.objects.create(
            patient=patient,
            frailty=patient.frailty,
            assessed_on=timezone.localdate(),
            recorded_by=by,
        )
    return patient


NOTES_RESTRICTED = (
    "The clinical notes are restricted: only the member who restricted them, the key worker "
    "and the chair change them (or whoever has broken the glass)."
)


@attributed
@transaction.atomic
def patient_clinical_notes_restrict(
    *, patient: Patient, by: User, restricted: bool, reason: str = ""
) -> Patient:
    """Restrict the person's clinical notes (with a reason) or lift the restriction. Open
    notes: any member who may change clinical details, who then answers for them; restricted
    ones: whoever restricted them, or the chair (PermissionDenied otherwise)."""
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if not may_restrict_clinical_notes(by, locked):
        raise PermissionDenied("Only the member who restricted the notes, or the chair, may.")
    locked.save(
        update_fields=restriction_set(
            locked, prefix="clinical_notes_", by=by, restricted=restricted, reason=reason
        )
    )
    return locked


ASSESSED_FUTURE = "An assessment cannot be dated in the future."
CENTS = Decimal("0.01")


@attributed
@transaction.atomic
def frailty_record(
    *,
    patient: Patient,
    by: User,
    scale: str,
    score: Decimal | int,
    assessed_on: date,
) -> FrailtyAssessment:
    """A scored frailty assessment (eFI 0 to 1 or CFS 1 to 9). The person's frailty level follows
    the latest assessment (by date assessed, then by when recorded), so an older assessment
    entered late goes into the history without changing it."""
    errors: dict[str, list[str]] = {}
    try:
        level, _label = frailty.classify(scale, score)
    except ValueError as exc:
        errors["scale" if scale not in FrailtyScale.values else "score"] = [str(exc)]
    if assessed_on > timezone.localdate():
        errors["assessed_on"] = [ASSESSED_FUTURE]
    if errors:
        raise ValidationError(errors)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    assessment = FrailtyAssessment(
        patient=patient,
        frailty=level,
        scale=scale,
        efi_score=Decimal(score).quantize(CENTS) if scale == FrailtyScale.EFI else None,
        cfs_score=int(score) if scale == FrailtyScale.CFS else None,
        assessed_on=assessed_on,
        recorded_by=by,
    )
    assessment.full_clean(exclude=["patient", "recorded_by"])
    assessment.save()
    latest = patient.frailty_history.order_by("-assessed_on", "-id").first()
    if latest is not None and latest.pk == assessment.pk and patient.frailty != level:
        patient.frailty = level
        patient.save(update_fields=["frailty", "updated_at"])
    return assessment


# What recording consent sets (pages and API).
CONSENT_FIELDS = (
    "consent_mdt",
    "consent_sharing",
    "consent_best_interest_by",
    "consent_best_interest_on",
)
BEST_INTEREST_WHO = (
    "Say who took the best-interests decision: their name and role (e.g. Dr A Shah, GP)."
)
BEST_INTEREST_FUTURE = "A best-interests decision cannot be dated in the future."
CONSENT_TO_SHARE = frozenset({Consent.GIVEN, Consent.BEST_INTEREST})


def consent_to_share(patient: Patient) -> bool:
    """Whether the person's information may be shared with the voluntary sector (the PIC):
    consent given, or a best-interests decision (API.md 1.1 "Referrals")."""
    return patient.consent_sharing in CONSENT_TO_SHARE


@attributed
@transaction.atomic
def patient_record_consent(
    *,
    patient: Patient,
    by: User,
    consent_mdt: str,
    consent_sharing: str,
    consent_best_interest_by: str | None = None,
    consent_best_interest_on: date | None = None,
) -> Patient:
    """Record what the person agreed to. A best-interests decision (either consent) names
    who took it and when (today unless given); with none, those are cleared (the row history
    keeps them). The row is locked, so what depended on a consent now refused is closed
    against the consent as it was (the `consent_recorded` port: PIC referrals and tasks,
    agendas of meetings not yet held), in this transaction."""
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    was = {"consent_mdt": locked.consent_mdt, "consent_sharing": locked.consent_sharing}
    best_interest = Consent.BEST_INTEREST in (consent_mdt, consent_sharing)
    if consent_best_interest_by is None:
        consent_best_interest_by = locked.consent_best_interest_by
    if consent_best_interest_on is None:
        consent_best_interest_on = locked.consent_best_interest_on
    who = " ".join((consent_best_interest_by or "").split())
    if best_interest and not who:
        raise ValidationError({"consent_best_interest_by": [BEST_INTEREST_WHO]})
    on = (consent_best_interest_on or timezone.localdate()) if best_interest else None
    if on is not None and on > timezone.localdate():
        raise ValidationError({"consent_best_interest_on": [BEST_INTEREST_FUTURE]})
    patient.consent_mdt = consent_mdt
    patient.consent_sharing = consent_sharing
    patient.consent_best_interest_by = who if best_interest else ""
    patient.consent_best_interest_on = on
    patient.consent_recorded_by = by
    patient.consent_recorded_at = timezone.now()
    patient.full_clean(exclude=["network", "created_by", "consent_recorded_by", "key_worker"])
    patient.save(
        update_fields=[
            "consent_mdt",
            "consent_sharing",
            "consent_best_interest_by",
            "consent_best_interest_on",
            "consent_recorded_by",
            "consent_recorded_at",
            "updated_at",
        ]
    )
    # The floors above close what rested on a consent now refused (each decides what).
    ports.call("consent_recorded", patient=patient, was=was, by=by)
    return patient


@attributed
@transaction.atomic
@transaction.atomic
def patient_break_glass(
    *, patient: Patient, by: User, reason_code: str, reason: str, channel: str, path: str = ""
) -> BreakGlass:
    """A member not involved in the person's care opens their clinical detail: the grant and
    its line in the access trail (audit.services.break_glass_record: a coded reason and a
    reason given, else a ValidationError and nothing saved), the IG lead told on commit.
    Who may is the caller's check (rules: patients.break_glass)."""
    grant = break_glass_record(
        by=by,
        patient=patient,
        reason_code=reason_code,
        reason=reason,
        channel=channel,
        path=path,
    )
    forget_clinical(by)  # this request reads the person as opened from here on
    return grant


def care_team_add(
    *, patient: Patient, membership: Membership, by: User, involvement: str = ""
) -> CareTeamMember:
    if membership.network_id != patient.network_id or not membership.is_active:
        raise ValidationError({"membership": ["Choose an active member of this person's network."]})
    member = CareTeamMember(
        patient=patient, membership=membership, involvement=involvement, added_by=by
    )
    member.full_clean(exclude=["patient", "membership", "added_by"])
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:
        raise Conflict("This member is already in the care team.", field="membership") from exc
    return member


@attributed
@transaction.atomic
def care_team_remove(*, member: CareTeamMember, by: User) -> None:
    member.delete()  # the delete event in the row history names `by`


# --- Goals ("what matters to me") and whether they were met -------------------------------

GOAL_DESCRIPTION_REQUIRED = "Write the goal, in the person's own words."
GOAL_AGREED_FUTURE = "A goal cannot be agreed on a date in the future."
GOAL_OUTCOME_UNKNOWN = "Choose met, partly met, not met or working on it."
GOAL_OUTCOME_FUTURE = "An outcome cannot be dated in the future."
GOAL_OUTCOME_BEFORE_AGREED = "An outcome cannot be dated before the goal was agreed."


@attributed
@transaction.atomic
def goal_add(
    *, patient: Patient, by: User, description: str, agreed_on: date | None = None
) -> Goal:
    """A goal agreed with the person; it starts open ("working on it")."""
    description = (description or "").strip()
    agreed_on = agreed_on or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if not description:
        errors["description"] = [GOAL_DESCRIPTION_REQUIRED]
    if agreed_on > timezone.localdate():
        errors["agreed_on"] = [GOAL_AGREED_FUTURE]
    if errors:
        raise ValidationError(errors)
    goal = Goal(patient=patient, description=description, agreed_on=agreed_on, agreed_by=by)
    goal.full_clean(exclude=["patient", "agreed_by", "outcome_by"])
    goal.save()
    return goal


@attributed
@transaction.atomic
def goal_outcome_set(
    *, goal: Goal, by: User, outcome: str, note: str = "", on: date | None = None
) -> Goal:
    """Record whether a goal was met (dated, and by whom), or reopen it: `open` clears the
    outcome's date, author and note."""
    if outcome not in Goal.Outcome.values:
        raise ValidationError({"outcome": [GOAL_OUTCOME_UNKNOWN]})
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if outcome == Goal.Outcome.OPEN:
        goal.outcome_on, goal.outcome_by, goal.outcome_note = None, None, (note or "").strip()
    else:
        on = on or timezone.localdate()
        if on > timezone.localdate():
            raise ValidationError({"on": [GOAL_OUTCOME_FUTURE]})
        if on < goal.agreed_on:
            raise ValidationError({"on": [GOAL_OUTCOME_BEFORE_AGREED]})
        goal.outcome_on, goal.outcome_by, goal.outcome_note = on, by, (note or "").strip()
    goal.outcome = outcome
    goal.full_clean(exclude=["patient", "agreed_by", "outcome_by"])
    goal.save(update_fields=["outcome", "outcome_on", "outcome_by", "outcome_note"])
    return goal


# --- Import from a CSV file (API.md 1.1: POST /api/v1/patients/import/) -------------------

IMPORT_COLUMNS = ("nhs_number", "given_name", "family_name", "date_of_birth", "gp_practice")
IMPORT_OPTIONAL = ("address", "postcode", "phone", "care_home")
IMPORT_HELP = (
    f"CSV with a header row naming the columns {', '.join(IMPORT_COLUMNS)} and, if you have "
    f"them, {', '.join(IMPORT_OPTIONAL)} (dates as YYYY-MM-DD or DD/MM/YYYY; GP practices and "
    f"care homes by their code), UTF-8, at most {CSV_MAX_BYTES:,} bytes."
)
IMPORT_NO_ROWS = "There are no people under the first row."
_ORGANISATION_FIELDS = ("gp_practice", "care_home")


class ImportRow:
    """One row of the file: what it gives, and what importing it does (created, updated,
    unchanged) or why it cannot be imported (errors: (field, message))."""

    def __init__(self, line: int, values: dict[str, str]) -> None:
        self.line = line
        self.values = values
        self.result = ""
        self.errors: list[tuple[str, str]] = []
        self.changes: list[str] = []  # the fields an update changes
        self.patient: Patient | None = None


class ImportResult:
    def __init__(self, rows: list[ImportRow]) -> None:
        self.rows = rows

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [
            {"line": row.line, "field": field, "message": message}
            for row in self.rows
            for field, message in row.errors
        ]

    def count(self, result: str) -> int:
        return sum(row.result == result for row in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        return {r: self.count(r) for r in ("created", "updated", "unchanged")}


def read_patients_csv(upload: IO[bytes]) -> list[tuple[int, dict[str, str]]]:
    """The rows of an uploaded people CSV as (line, {column: text}); CsvProblems (a
    ValidationError on `file` naming the lines) if it is not one."""
    return patients_csv_rows(read_text(upload))


def patients_csv_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """The rows of a people CSV's text (read_patients_csv; the import page's confirmation
    carries the text it previewed)."""
    rows, problems = csv_rows(text, columns=IMPORT_COLUMNS, optional=IMPORT_OPTIONAL)
    if problems:
        raise CsvProblems(problems)
    if not rows:
        raise CsvProblems([(2, IMPORT_NO_ROWS)])
    return rows


def _organisations(network: Network) -> dict[str, dict[str, Organisation]]:
    """The network's GP practices and care homes by code (upper case), in one query each."""
    return {
        "gp_practice": {o.code.upper(): o for o in network.gp_practices.all()},
        "care_home": {o.code.upper(): o for o in network.care_homes.all()},
    }


def _import_values(row: ImportRow, organisations: dict[str, dict[str, Organisation]]) -> dict:
    """The row's fields as the model holds them; problems go on row.errors."""
    values: dict[str, Any] = {}
    for field, text in row.values.items():
        try:
            if field == "nhs_number":
                values[field] = nhs_number.validate(text)
            elif field == "date_of_birth":
                values[field] = csv_date(text)
            elif field in _ORGANISATION_FIELDS:
                found = organisations[field].get(text.upper()) if text else None
                if text and found is None:
                    raise ValueError(NOT_THE_NETWORKS[field])
                values[field] = found
            else:
                values[field] = text
        except ValidationError as exc:
            row.errors.append((field, " ".join(exc.messages)))
        except ValueError as exc:
            row.errors.append((field, str(exc)))
    return values


def _changed(patient: Patient, values: dict[str, Any]) -> list[str]:
    """The fields the row changes (organisations compared by id: no query to load them)."""
    return [
        f
        for f, v in values.items()
        if (
            getattr(patient, f"{f}_id") != getattr(v, "pk", None)
            if f in _ORGANISATION_FIELDS
            else getattr(patient, f) != v
        )
    ]


@attributed
@transaction.atomic
def patients_import(
    *, network: Network, rows: list[tuple[int, dict[str, str]]], by: User, dry_run: bool
) -> ImportResult:
    """Create or update the network's people from the rows of a CSV file, matched by NHS
    number: every row is checked first, and nothing is saved if any is wrong (the result's
    `errors`) or with `dry_run`. A row that changes nothing is `unchanged`, so importing
    the same file again changes nothing. Queries do not grow with the rows (bulk writes;
    the row history comes from the database's triggers)."""
    result = ImportResult([ImportRow(line, values) for line, values in rows])
    organisations = _organisations(network)
    parsed = [(row, _import_values(row, organisations)) for row in result.rows]
    numbers = [v["nhs_number"] for _, v in parsed if "nhs_number" in v]
    existing = {
        p.nhs_number: p for p in Patient.objects.filter(network=network, nhs_number__in=numbers)
    }
    seen: dict[str, int] = {}
    now = timezone.now()
    created: list[Patient] = []
    updated: list[Patient] = []
    fields: set[str] = set()
    for row, values in parsed:
        number = values.get("nhs_number")
        if number in seen:
            row.errors.append(("nhs_number", f"This NHS number is also on line {seen[number]}."))
        elif number:
            seen[number] = row.line
        patient = existing.get(number or "")
        changes = _changed(patient, values) if patient is not None else list(values)
        if patient is None:
            patient = Patient(network=network, created_by=by, **values)
        else:
            for field in changes:
                setattr(patient, field, values[field])
        try:
            patient.full_clean(
                # Organisations were found above; checking them again costs a query a row.
                exclude=[
                    "network",
                    "created_by",
                    "consent_recorded_by",
                    "key_worker",
                    *_ORGANISATION_FIELDS,
                ],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                if not any(f == field for f, _ in row.errors):
                    row.errors.extend((field, m) for m in messages)
        row.patient = patient
        if row.errors:
            row.result = "error"
        elif patient.pk is None:
            row.result = "created"
            created.append(patient)
        elif changes:
            row.result = "updated"
            row.changes = changes
            patient.updated_at = now
            updated.append(patient)
            fields.update(changes)
        else:
            row.result = "unchanged"
    if dry_run or result.errors:
        return result
    try:
        with transaction.atomic():
            Patient.objects.bulk_create(created, batch_size=500)
            if updated:
                Patient.objects.bulk_update(
                    updated, [*sorted(fields), "updated_at"], batch_size=500
                )
    except IntegrityError as exc:  # someone added one of these people meanwhile
        if "patient_nhs_number_unique_in_network" in str(exc):
            raise Conflict(DUPLICATE_NHS, field="nhs_number") from exc
        raise
    return result
