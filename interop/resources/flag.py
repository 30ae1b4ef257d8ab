"""Flag (UK Core Flag) from a red flag raised on a person: what was noticed (SNOMED CT where
the catalogue has a code, and ICN's own code), its category, and when it was raised and
resolved. Every role that opens the person reads their red flags (the person's page shows
them to the PIC too), so not clinical; the note and the resolution stay in ICN."""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.resource import Resource

from core.typing import User
from patients.selectors import patients_visible_to
from referrals.models import PatientFlag, RedFlag

from .. import codes
from ..outcome import FhirError
from ..registry import Context, ImportContext, ResourceType, SearchError, meta, reference, register
from ._common import codes_of, when

CATEGORY = "urn:icn:red-flag-category"


def rows(user: User) -> QuerySet[PatientFlag]:
    return PatientFlag.objects.filter(patient__in=patients_visible_to(user)).select_related("flag")


def to_fhir(flags: Sequence[PatientFlag], ctx: Context) -> list[Resource]:
    return [_flag(f) for f in flags]


def _flag(row: PatientFlag) -> Flag:
    red_flag = row.flag
    coding = []
    if red_flag.snomed_code:
        coding.append({"system": codes.SNOMED, "code": red_flag.snomed_code})
    coding.append({"system": codes.ICN_RED_FLAG, "code": red_flag.code, "display": red_flag.label})
    period: dict[str, Any] = {"start": row.raised_at}
    if row.resolved_at is not None:
        period["end"] = row.resolved_at
    return Flag.model_validate(
        {
            "resourceType": "Flag",
            "id": str(row.pk),
            "meta": meta("Flag"),
            "status": "active" if row.resolved_at is None else "inactive",
            "category": [
                {
                    "coding": [
                        {
                            "system": CATEGORY,
                            "code": red_flag.category,
                            "display": red_flag.get_category_display(),
                        }
                    ]
                }
            ],
            "code": {"coding": coding, "text": red_flag.label},
            "subject": reference("Patient", row.patient_id),
            "period": period,
        }
    )


def by_status(rows: QuerySet[PatientFlag], value: str) -> QuerySet[PatientFlag]:
    if value == "active":
        return rows.filter(resolved_at__isnull=True)
    if value == "inactive":
        return rows.filter(resolved_at__isnull=False)
    raise SearchError("status is active or inactive.")


def by_code(rows: QuerySet[PatientFlag], value: str) -> QuerySet[PatientFlag]:
    """``code=urn:icn:red-flag|fall``, ``code=http://snomed.info/sct|...`` or a bare code."""
    system, bar, code = value.rpartition("|")
    if system == codes.SNOMED:
        return rows.filter(flag__snomed_code=code)
    if system == codes.ICN_RED_FLAG or not bar:
        return rows.filter(flag__code=code)
    raise SearchError(f"code is {codes.ICN_RED_FLAG}|code or {codes.SNOMED}|code.")


def from_fhir(resource: dict[str, Any], ctx: ImportContext) -> PatientFlag:
    """The red flag on ctx.patient, as raised and resolved then (ICN's code, else the
    catalogue's flag with that SNOMED CT code)."""
    concept = resource.get("code")
    red_flag = RedFlag.objects.filter(code__in=codes_of(concept, codes.ICN_RED_FLAG)).first()
    snomed = codes_of(concept, codes.SNOMED)
    if red_flag is None and snomed:
        red_flag = RedFlag.objects.filter(snomed_code__in=snomed).order_by("pk").first()
    if red_flag is None:
        raise FhirError(422, ("Flag.code names no red flag of ICN's catalogue.", "code"))
    period = resource.get("period") or {}
    resolved = when(period.get("end"), "period.end")
    if resolved is None and resource.get("status") != "active":
        resolved = when(period.get("start"), "period.start")
    if (
        resolved is None
        and PatientFlag.objects.filter(
            patient=ctx.patient, flag=red_flag, resolved_at=None
        ).exists()
    ):
        raise FhirError(422, (f"The red flag {red_flag.code} is already active.", "status"))
    row = PatientFlag.objects.create(
        patient=ctx.patient,
        flag=red_flag,
        raised_from=PatientFlag.RaisedFrom.API,
        raised_by=ctx.by,
        resolved_at=resolved,
        resolved_by=ctx.by if resolved else None,
    )
    raised = when(period.get("start"), "period.start")
    if raised is not None:
        PatientFlag.objects.filter(pk=row.pk).update(raised_at=raised)
        row.raised_at = raised
    return row


FLAG = register(
    ResourceType(
        name="Flag",
        profile=codes.profile("Flag"),
        rows=rows,
        to_fhir=to_fhir,
        clinical=False,
        search={"status": by_status, "code": by_code},
        from_fhir=from_fhir,
        order=40,
        description="Red flags raised on a person (SNOMED CT where the catalogue has a code, "
        "and ICN's own code), active until resolved.",
    )
)
