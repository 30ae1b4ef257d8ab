"""Reading a GP medication list: a FHIR R4 Bundle (``collection`` or ``searchset``) of UK Core
MedicationStatements, parsed and validated with fhir.resources (its R4B models).

Each statement becomes a ``Statement``: the medicine's name and dm+d code (a coding of
``https://dmd.nhs.uk``, or SNOMED CT, in ``medicationCodeableConcept`` or in the Medication
its ``medicationReference`` points to within the Bundle), and the dose as ICN's fields
(medicines.dosage.from_fhir) or the reason they cannot hold it. Every statement must be about
the person the list is brought in for: its subject's NHS number (on the reference's
identifier, or on the Patient in the Bundle it points to) must be theirs. Anything else is a
ValidationError on ``bundle`` saying where (``entry[2]``...), and nothing is staged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError as FhirInvalid

from .dosage import DosageNotHeld, from_fhir

NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
DMD = "https://dmd.nhs.uk"
SNOMED = "http://snomed.info/sct"
TYPES = ("collection", "searchset")
MAX_BYTES = 2_000_000
MAX_STATEMENTS = 500
HELP = (
    "A FHIR R4 Bundle (JSON, type collection or searchset) of UK Core MedicationStatements "
    f"about this person, at most {MAX_BYTES:,} bytes."
)


@dataclass
class Statement:
    position: int
    name: str
    dmd_code: str
    status: str
    dose_text: str = ""
    dose: dict[str, Any] = field(default_factory=dict)
    dose_not_held: str = ""


def _refuse(message: str) -> ValidationError:
    return ValidationError({"bundle": [message]})


def _where(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return "Bundle" + text


def _json(resource: Any) -> dict[str, Any]:
    return json.loads(resource.model_dump_json(exclude_none=True))


def parse_bundle(text: str) -> Bundle:
    """The Bundle, or ValidationError saying what is wrong and where."""
    if len(text.encode()) > MAX_BYTES:
        raise _refuse(f"The Bundle is larger than {MAX_BYTES:,} bytes.")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _refuse(f"Not JSON (line {getattr(exc, 'lineno', '?')}).") from exc
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise _refuse("Not a FHIR Bundle (resourceType must be Bundle).")
    try:
        bundle = Bundle.model_validate(data)
    except FhirInvalid as exc:
        problems = [f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors()[:3]]
        raise _refuse("Not a valid FHIR R4 Bundle. " + " ".join(problems)) from exc
    if bundle.type not in TYPES:
        raise _refuse(f"The Bundle's type is {bundle.type}; a collection or searchset is read.")
    return bundle


def _index(bundle: Bundle) -> dict[str, Any]:
    """Resources in the Bundle by how a reference may name them (fullUrl, Type/id)."""
    found: dict[str, Any] = {}
    for entry in bundle.entry or []:
        resource = entry.resource
        if resource is None:
            continue
        if entry.fullUrl:
            found[entry.fullUrl] = resource
        if getattr(resource, "id", None):
            found[f"{resource.get_resource_type()}/{resource.id}"] = resource
    return found


def _nhs_number(identifiers: Any) -> str:
    for identifier in identifiers or []:
        if identifier.system == NHS_NUMBER and identifier.value:
            return str(identifier.value).replace(" ", "")
    return ""


def _subject(statement: Any, resources: dict[str, Any]) -> str:
    subject = statement.subject
    number = _nhs_number([subject.identifier] if subject.identifier else [])
    if number:
        return number
    patient = resources.get(subject.reference or "")
    if patient is not None and patient.get_resource_type() == "Patient":
        return _nhs_number(patient.identifier)
    return ""


def _medicine(statement: Any, resources: dict[str, Any], where: str) -> tuple[str, str]:
    concept = statement.medicationCodeableConcept
    if concept is None and statement.medicationReference is not None:
        medication = resources.get(statement.medicationReference.reference or "")
        if medication is None or medication.get_resource_type() != "Medication":
            raise _refuse(f"{where}: medicationReference names no Medication in the Bundle.")
        concept = medication.code
    codings = (concept.coding if concept else None) or []
    coded = next((c for c in codings if c.system == DMD and c.code), None) or next(
        (c for c in codings if c.system == SNOMED and c.code), None
    )
    name = (coded.display if coded else "") or (concept.text if concept else "") or ""
    if not name:
        name = next((c.display for c in codings if c.display), "")
    name = " ".join(name.split())
    if not name:
        raise _refuse(f"{where}: the medication has no name (coding display or text).")
    code = str(coded.code) if coded else ""
    if code and not (code.isdigit() and 6 <= len(code) <= 18):
        raise _refuse(f"{where}: {code[:30]!r} is not a dm+d code.")
    return name[:200], code


def _dose(statement: Any) -> tuple[str, dict[str, Any], str]:
    dosages = statement.dosage or []
    if not dosages:
        return "", {}, "The statement gives no dose."
    text = " ".join((dosages[0].text or "").split())[:500]
    if len(dosages) > 1:
        return text, {}, "More than one dosage (a dose that changes); ICN holds one."
    try:
        return text, from_fhir(_json(dosages[0])), ""
    except DosageNotHeld as exc:
        return text, {}, str(exc)[:300]


def read_statements(text: str, *, nhs_number: str) -> list[Statement]:
    """The MedicationStatements of a Bundle about the person with ``nhs_number``."""
    bundle = parse_bundle(text)
    resources = _index(bundle)
    statements: list[Statement] = []
    for index, entry in enumerate(bundle.entry or []):
        resource = entry.resource
        if resource is None or resource.get_resource_type() != "MedicationStatement":
            continue  # the Patient, Medications and others are read through references
        if resource.status == "entered-in-error":
            continue  # the GP system withdrew it
        where = f"entry[{index}]"
        subject = _subject(resource, resources)
        if not subject:
            raise _refuse(f"{where}: the statement's subject gives no NHS number.")
        if subject != nhs_number:
            raise _refuse(
                f"{where}: the statement is about someone else (another NHS number); "
                "a GP list is brought in for one person only."
            )
        name, code = _medicine(resource, resources, where)
        dose_text, dose, not_held = _dose(resource)
        statements.append(
            Statement(
                position=index,
                name=name,
                dmd_code=code,
                status=resource.status or "",
                dose_text=dose_text,
                dose=dose,
                dose_not_held=not_held,
            )
        )
    if not statements:
        raise _refuse("The Bundle holds no MedicationStatement.")
    if len(statements) > MAX_STATEMENTS:
        raise _refuse(f"More than {MAX_STATEMENTS} statements; a person's list is shorter.")
    return statements
