"""Every write to a person's record. Callers have already checked the caller may act
(rules); services enforce the invariants and keep history: each takes `by` and runs inside
`core.attribution.acting(by)`, so the row history names who did it."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.attribution import attributed
from core.errors import Conflict, NotAllowed
from networks.models import Membership, Network

from . import frailty
from .models import CareTeamMember, FrailtyAssessment, FrailtyScale, Goal, Patient

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


@attributed
@transaction.atomic
def patient_record_consent(
    *, patient: Patient, by: User, consent_mdt: str, consent_sharing: str
) -> Patient:
    patient.consent_mdt = consent_mdt
    patient.consent_sharing = consent_sharing
    patient.consent_recorded_by = by
    patient.consent_recorded_at = timezone.now()
    patient.full_clean(exclude=["network", "created_by", "consent_recorded_by", "key_worker"])
    patient.save(
        update_fields=[
            "consent_mdt",
            "consent_sharing",
            "consent_recorded_by",
            "consent_recorded_at",
            "updated_at",
        ]
    )
    return patient


@attributed
@transaction.atomic
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
