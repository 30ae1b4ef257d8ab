"""Patient (UK Core Patient): who the person is, as every role that opens records reads it.
No clinical detail: frailty, notes and the rest travel in their own resources.

Coming in (``from_fhir``, and the referral intake, interop/intake.py): a UK Core Patient as a
real system sends it. Extensions (ethnic category, contact preference...), contacts,
communication and the rest that ICN does not hold are accepted and ignored; of several names
the ``official`` one (else ``usual``, else the first), given names joined; a phone (``home``,
else ``mobile``, else the first); the ``home`` address (else the first not ``old``); the GP
practice by ODS code, which must be one of the network's practices (422 naming the code)."""

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.resource import Resource

from core import nhs_number
from core.typing import User
from networks.models import Network
from patients.models import Patient
from patients.selectors import patients_visible_to
from patients.services import patient_create

from .. import codes
from ..outcome import FhirError
from ..registry import Context, ImportContext, ResourceType, SearchError, meta, register


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
    try:
        born = date.fromisoformat(value.removeprefix("eq"))
    except ValueError as exc:
        raise SearchError("birthdate is a date, YYYY-MM-DD.") from exc
    return rows.filter(date_of_birth=born)


# -- Coming in ---------------------------------------------------------------------------------

FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Where each of the row's fields comes from, to name it in an OperationOutcome.
FIELD_PATHS = {
    "nhs_number": "identifier",
    "given_name": "name.given",
    "family_name": "name.family",
    "date_of_birth": "birthDate",
    "address": "address",
    "postcode": "address.postalCode",
    "phone": "telecom",
    "gp_practice": "generalPractitioner",
}


def _preferred(items: list[Any], key: str, order: Sequence[str]) -> int | None:
    """The index of the first item whose `key` is the earliest of `order`, else 0."""
    for wanted in order:
        for i, item in enumerate(items):
            if item.get(key) == wanted:
                return i
    return 0 if items else None


def nhs_number_of(resource: dict[str, Any], where: str = "Patient") -> str:
    """The NHS number (identifier with system https://fhir.nhs.uk/Id/nhs-number), checked
    (10 digits, modulus 11): 400 naming the identifier otherwise."""
    for i, identifier in enumerate(resource.get("identifier") or []):
        if identifier.get("system") == codes.NHS_NUMBER:
            try:
                return nhs_number.validate(identifier.get("value") or "")
            except ValidationError as exc:
                raise FhirError(400, (exc.messages[0], f"{where}.identifier[{i}].value")) from exc
    raise FhirError(
        400,
        (
            f"ICN needs the person's NHS number: an identifier with system {codes.NHS_NUMBER}.",
            f"{where}.identifier",
        ),
    )


def birth_date_of(resource: dict[str, Any], where: str = "Patient") -> date:
    """The date of birth: a full date (FHIR allows a year or a month alone; ICN does not)."""
    born = resource.get("birthDate") or ""
    try:
        if FULL_DATE.match(born):
            return date.fromisoformat(born)
    except ValueError:
        pass
    raise FhirError(400, ("ICN needs the full date of birth (YYYY-MM-DD).", f"{where}.birthDate"))


def _name(resource: dict[str, Any], where: str) -> dict[str, str]:
    names = resource.get("name") or []
    i = _preferred(names, "use", ("official", "usual"))
    if i is None:
        raise FhirError(400, ("ICN needs the person's name.", f"{where}.name"))
    name = names[i]
    family = (name.get("family") or "").strip()
    given = " ".join(g.strip() for g in name.get("given") or [] if g and g.strip())
    if not family:
        raise FhirError(400, ("ICN needs the family name.", f"{where}.name[{i}].family"))
    if not given:
        raise FhirError(400, ("ICN needs a given name.", f"{where}.name[{i}].given"))
    return {"family_name": family, "given_name": given}


def _phone(resource: dict[str, Any]) -> str:
    phones = [
        t
        for t in resource.get("telecom") or []
        if t.get("system") == "phone" and t.get("value") and t.get("use") != "old"
    ]
    i = _preferred(phones, "use", ("home", "mobile"))
    return "" if i is None else phones[i]["value"].strip()


def _address(resource: dict[str, Any]) -> dict[str, str]:
    addresses = [a for a in resource.get("address") or [] if a.get("use") != "old"]
    i = _preferred(addresses, "use", ("home",))
    if i is None:
        return {}
    address = addresses[i]
    lines = [line.strip() for line in address.get("line") or [] if line and line.strip()]
    for part in ("city", "district"):
        if (address.get(part) or "").strip():
            lines.append(address[part].strip())
    return {"address": "\n".join(lines), "postcode": (address.get("postalCode") or "").strip()}


def _gp_practice(resource: dict[str, Any], network: Network, where: str) -> dict[str, Any]:
    for i, gp in enumerate(resource.get("generalPractitioner") or []):
        identifier = gp.get("identifier") or {}
        if identifier.get("system") != codes.ODS_CODE or not identifier.get("value"):
            continue  # a practitioner (SDS id) or a bare reference: not ICN's to resolve
        code = identifier["value"].strip().upper()
        practice = network.gp_practices.filter(code=code).first()
        if practice is None:
            raise FhirError(
                422,
                (
                    f"No GP practice with ODS code {code} in this network (organisation "
                    "codes must belong to your network).",
                    f"{where}.generalPractitioner[{i}].identifier.value",
                ),
            )
        return {"gp_practice": practice}
    return {}


def patient_fields(
    resource: dict[str, Any], network: Network, where: str = "Patient"
) -> dict[str, Any]:
    """The row's fields from a UK Core Patient (as JSON, already parsed by its model): 400
    naming what is missing or wrong, 422 for a GP practice not of the network."""
    fields: dict[str, Any] = {
        "nhs_number": nhs_number_of(resource, where),
        **_name(resource, where),
        "date_of_birth": birth_date_of(resource, where),
        "phone": _phone(resource),
        **_address(resource),
        **_gp_practice(resource, network, where),
    }
    return {k: v for k, v in fields.items() if v != ""}


def field_errors(exc: ValidationError, where: str = "Patient") -> FhirError:
    """A model's ValidationError as a 400 naming the Patient's elements."""
    messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    issues = [
        (message, f"{where}.{FIELD_PATHS[field]}" if field in FIELD_PATHS else where)
        for field, texts in messages.items()
        for message in texts
    ]
    return FhirError(400, *issues)


def patient_from_fields(
    *, fields: dict[str, Any], network: Network, by: User, where: str
) -> Patient:
    """Create the person (patients.services.patient_create: contact details only)."""
    try:
        return patient_create(network=network, by=by, clinical_allowed=False, **fields)
    except ValidationError as exc:
        raise field_errors(exc, where) from exc


def from_fhir(resource: dict[str, Any], ctx: ImportContext) -> Patient:
    """The person a UK Core Patient describes, created in ``ctx.network`` (a person already
    recorded there with the NHS number: Conflict, 409). Sets ``ctx.patient``; the caller
    keeps ``ctx.refs``."""
    fields = patient_fields(resource, ctx.network)
    ctx.patient = patient_from_fields(
        fields=fields, network=ctx.network, by=ctx.by, where="Patient"
    )
    return ctx.patient


PATIENT = register(
    ResourceType(
        name="Patient",
        profile=codes.profile("Patient"),
        rows=rows,
        to_fhir=to_fhir,
        from_fhir=from_fhir,
        clinical=False,
        search={"identifier": by_identifier, "family": by_family, "birthdate": by_birthdate},
        order=0,
        description="Who the person is: NHS number, name, date of birth, contact details and "
        "GP practice (ODS code).",
    )
)
