"""Patient (UK Core Patient): who the person is, as every role that opens records reads it.
No clinical detail: frailty, notes and the rest travel in their own resources."""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.resource import Resource

from core import nhs_number
from core.typing import User
from patients.models import Patient
from patients.selectors import patients_visible_to

from .. import codes
from ..registry import Context, ResourceType, SearchError, meta, register


def rows(user: User) -> QuerySet[Patient]:
    return patients_visible_to(user).select_related("gp_practice")


def to_fhir(people: Sequence[Patient], ctx: Context) -> list[Resource]:
    return [_patient(person) for person in people]


def _patient(person: Patient) -> FhirPatient:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(person.pk),
        "meta": meta("Patient"),
        "identifier": [{"system": codes.NHS_NUMBER, "value": person.nhs_number}],
        "name": [{"use": "official", "family": person.family_name, "given": [person.given_name]}],
        "birthDate": person.date_of_birth.isoformat(),
    }
    if person.phone:
        resource["telecom"] = [{"system": "phone", "value": person.phone, "use": "home"}]
    if person.address or person.postcode:
        address: dict[str, Any] = {"use": "home"}
        lines = [line.strip() for line in person.address.splitlines() if line.strip()]
        if lines:
            address["line"] = lines
        if person.postcode:
            address["postalCode"] = person.postcode
        resource["address"] = [address]
    if person.gp_practice_id:
        practice = person.gp_practice
        resource["generalPractitioner"] = [
            {
                "type": "Organization",
                "identifier": {"system": codes.ODS_CODE, "value": practice.code},
                "display": practice.name,
            }
        ]
    return FhirPatient.model_validate(resource)


def by_identifier(rows: QuerySet[Patient], value: str) -> QuerySet[Patient]:
    """``identifier=https://fhir.nhs.uk/Id/nhs-number|9991234567`` (or the bare number)."""
    system, _, number = value.rpartition("|")
    if system and system != codes.NHS_NUMBER:
        raise SearchError(f"ICN searches people by NHS number only ({codes.NHS_NUMBER}|...).")
    digits = nhs_number.normalise(number)
    if not (digits.isdigit() and len(digits) == 10):
        raise SearchError("An NHS number is 10 digits.")
    return rows.filter(nhs_number=digits)


def by_family(rows: QuerySet[Patient], value: str) -> QuerySet[Patient]:
    return rows.filter(family_name__istartswith=value.strip())


def by_birthdate(rows: QuerySet[Patient], value: str) -> QuerySet[Patient]:
    from datetime import date

    try:
        born = date.fromisoformat(value.removeprefix("eq"))
    except ValueError as exc:
        raise SearchError("birthdate is a date, YYYY-MM-DD.") from exc
    return rows.filter(date_of_birth=born)


PATIENT = register(
    ResourceType(
        name="Patient",
        profile=codes.profile("Patient"),
        rows=rows,
        to_fhir=to_fhir,
        clinical=False,
        search={"identifier": by_identifier, "family": by_family, "birthdate": by_birthdate},
        order=0,
        description="Who the person is: NHS number, name, date of birth, contact details and "
        "GP practice (ODS code).",
    )
)
