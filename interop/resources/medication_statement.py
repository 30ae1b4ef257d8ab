"""MedicationStatement (UK Core MedicationStatement): one line of the person's reconciled
medication list (medicines.Medication), with its dm+d code where it has one and its dose as
a structured Dosage (medicines.dosage)."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.resource import Resource

from core.typing import User
from medicines import dosage
from medicines.models import Medication
from medicines.selectors import medications_visible_to

from .. import codes
from ..outcome import FhirError
from ..registry import (
    Context,
    ImportContext,
    ResourceType,
    SearchError,
    meta,
    reference,
    register,
)

STATUSES = {"active", "stopped"}
CATEGORY = "http://terminology.hl7.org/CodeSystem/medication-statement-category"


def rows(user: User) -> QuerySet[Medication]:
    return medications_visible_to(user)


def to_fhir(medications: Sequence[Medication], ctx: Context) -> list[Resource]:
    return [_statement(medication) for medication in medications]


def _statement(medication: Medication) -> MedicationStatement:
    concept: dict[str, Any] = {"text": str(medication)}
    if medication.dmd_code:
        concept["coding"] = [
            {"system": codes.DMD, "code": medication.dmd_code, "display": medication.name}
        ]
    period: dict[str, str] = {}
    if medication.started_on:
        period["start"] = medication.started_on.isoformat()
    if medication.stopped_on:
        period["end"] = medication.stopped_on.isoformat()
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": str(medication.pk),
        "meta": meta("MedicationStatement"),
        "identifier": [{"system": codes.icn_identifier("medication"), "value": str(medication.pk)}],
        "status": "active" if medication.is_active else "stopped",
        # The reconciled list is what the person takes at home.
        "category": {"coding": [{"system": CATEGORY, "code": "community", "display": "Community"}]},
        "medicationCodeableConcept": concept,
        "subject": reference("Patient", medication.patient_id),
        "dateAsserted": medication.created_at.isoformat(),
        "dosage": [dosage.to_fhir(medication)],
    }
    if period:
        resource["effectivePeriod"] = period
    if medication.stopped_on and medication.stop_reason:
        resource["statusReason"] = [{"text": medication.stop_reason}]
    if medication.prescriber:
        resource["informationSource"] = {"display": medication.prescriber}
    return MedicationStatement.model_validate(resource)


def by_status(medications: QuerySet[Medication], value: str) -> QuerySet[Medication]:
    if value not in STATUSES:
        raise SearchError("status is active or stopped.")
    return medications.filter(stopped_on__isnull=value == "active")


def _date(value: str | None, where: str) -> date | None:
    """A day (a FHIR date or dateTime); a month or a year alone ICN cannot hold."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise FhirError(422, (f"ICN needs a whole date, not {value!r}.", where)) from exc


def _moment(value: str | None) -> datetime | None:
    """A dateTime with its time (a bare date or month: None, the import's time stands)."""
    if not value or len(value) <= 10:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def from_fhir(resource: dict[str, Any], ctx: ImportContext) -> Medication:
    """The line the statement describes: the dm+d code when it has one, the dose through
    medicines.dosage (a dose ICN cannot hold exactly is refused, never rounded)."""
    concept = resource.get("medicationCodeableConcept")
    if not concept:
        raise FhirError(
            422,
            ("ICN takes a medicine as medicationCodeableConcept.", "medicationCodeableConcept"),
        )
    coding: dict[str, Any] = next(
        (c for c in concept.get("coding") or [] if c.get("system") == codes.DMD), {}
    )
    text = (concept.get("text") or "").strip()
    name = (coding.get("display") or text).strip()
    if not name:
        raise FhirError(422, ("The medicine has no name.", "medicationCodeableConcept"))
    strength = text[len(name) :].strip() if text.startswith(name) else ""
    doses = resource.get("dosage") or []
    if not doses:
        raise FhirError(422, ("The statement has no dosage.", "MedicationStatement.dosage"))
    try:
        dose = dosage.from_fhir(doses[0])
    except dosage.DosageNotHeld as exc:
        raise FhirError(422, (str(exc), "MedicationStatement.dosage[0]")) from exc
    period = resource.get("effectivePeriod") or {}
    stopped_on = _date(period.get("end"), "MedicationStatement.effectivePeriod.end")
    if resource.get("status") == "stopped" and stopped_on is None:
        stopped_on = _date(resource.get("dateAsserted"), "MedicationStatement.dateAsserted")
    reasons = resource.get("statusReason") or []
    medication = Medication(
        patient=ctx.patient,
        name=name[:200],
        dmd_code=coding.get("code", ""),
        strength=strength[:60],
        started_on=_date(period.get("start"), "MedicationStatement.effectivePeriod.start"),
        stopped_on=stopped_on,
        stop_reason=(reasons[0].get("text") or "")[:300] if reasons and stopped_on else "",
        prescriber=((resource.get("informationSource") or {}).get("display") or "")[:120],
        created_by=ctx.by,
        **dose,
    )
    medication.full_clean()
    medication.save()
    asserted = _moment(resource.get("dateAsserted"))
    if asserted:  # when the source recorded it, not when it came in
        medication.created_at = asserted
        Medication.objects.filter(pk=medication.pk).update(created_at=asserted)
    return medication


MEDICATION_STATEMENT = register(
    ResourceType(
        name="MedicationStatement",
        profile=codes.profile("MedicationStatement"),
        rows=rows,
        to_fhir=to_fhir,
        from_fhir=from_fhir,
        search={"status": by_status},
        order=70,
        description="The person's reconciled medication list: dm+d code where known, the "
        "dose as a structured Dosage, active or stopped.",
    )
)
