"""Bringing one person's whole record in from a FHIR Bundle: what ``Patient/{id}/$everything``
gives (from ICN or another system), into a network that does not hold them yet. For a person
who moves between networks, or a network that comes to ICN from another system.

The resources are created in the registry's order (the person, then their care team,
episodes, referrals, red flags, visits and their observations, medicines, care plan, tasks),
each by its type's ``from_fhir`` (interop/registry.py), so a resource finds the rows its
references name. One transaction: a resource that cannot be brought in stops the whole
import with an OperationOutcome naming it, and nothing is saved. Nothing new happens on the
way in: no notifications, tasks, referrals or webhooks (history comes in as it was).
"""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from core.typing import User
from patients.models import Patient

from . import codes
from .outcome import FhirError
from .registry import REGISTRY, ImportContext

BUNDLE_TYPES = {"searchset", "collection", "transaction", "batch"}


def _entries(bundle: Any) -> list[tuple[int, str, dict[str, Any]]]:
    """(position, the entry's name for references, resource) of each entry, checked."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FhirError(400, ("The body must be a FHIR Bundle.", "Bundle"))
    try:
        Bundle.model_validate(bundle)
    except ValidationError as exc:
        raise FhirError(400, *_problems(exc, "Bundle")) from exc
    if bundle.get("type") not in BUNDLE_TYPES:
        raise FhirError(400, ("A record comes as a searchset or collection Bundle.", "Bundle.type"))
    found = []
    for n, entry in enumerate(bundle.get("entry") or []):
        resource = entry.get("resource") or {}
        kind = resource.get("resourceType", "")
        where = f"Bundle.entry[{n}].resource"
        if kind not in REGISTRY or REGISTRY[kind].from_fhir is None:
            raise FhirError(400, (f"ICN cannot bring in a {kind or 'resource'} here.", where))
        try:
            get_fhir_model_class(kind).model_validate(resource)
        except ValidationError as exc:
            raise FhirError(400, *_problems(exc, where)) from exc
        found.append((n, f"{kind}/{resource.get('id', '')}", resource))
    patients = [f for f in found if f[2]["resourceType"] == "Patient"]
    if len(patients) != 1:
        raise FhirError(400, ("A record holds exactly one Patient.", "Bundle.entry"))
    return found


def _problems(exc: ValidationError, where: str) -> list[tuple[str, str]]:
    return [
        (error["msg"], ".".join([where, *(str(p) for p in error["loc"])]))
        for error in exc.errors()[:20]
    ]


@transaction.atomic
def record_import(*, bundle: Any, network: Any, by: User) -> Patient:
    """The person created, with every resource of theirs in ``bundle``. A person the network
    already holds (by NHS number) -> 409: a record is brought in once, not merged."""
    entries = _entries(bundle)
    person = next(r for _n, _ref, r in entries if r["resourceType"] == "Patient")
    numbers = [
        i.get("value", "")
        for i in person.get("identifier") or []
        if i.get("system") == codes.NHS_NUMBER
    ]
    if numbers and Patient.objects.filter(network=network, nhs_number__in=numbers).exists():
        raise FhirError(
            409,
            "This network already holds a person with that NHS number: a record is "
            "brought in once, never merged into another.",
        )
    ctx = ImportContext(network=network, by=by)
    order = {name: rt.order for name, rt in REGISTRY.items()}
    for n, ref, resource in sorted(entries, key=lambda e: (order[e[2]["resourceType"]], e[0])):
        rt = REGISTRY[resource["resourceType"]]
        assert rt.from_fhir is not None  # checked in _entries
        try:
            row = rt.from_fhir(resource, ctx)
        except FhirError:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise FhirError(
                422, (f"Cannot bring in {ref}: {exc}", f"Bundle.entry[{n}].resource")
            ) from exc
        if rt.name == "Patient":
            ctx.patient = row
        ctx.refs[ref] = row
    return ctx.patient


def importable_types() -> Sequence[str]:
    return [name for name, rt in REGISTRY.items() if rt.from_fhir is not None]
