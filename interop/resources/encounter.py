"""Encounter (UK Core Encounter): a pharmacist's visit (medicines.Visit), at home, by phone or
by video. The visit's observations travel as Observations (observation.py) that name it.

A restricted visit carries the confidentiality label R (restricted) for every reader, so a
receiving system knows to guard it; a reader who may not open it (medicines.selectors
.seal_visits, the REST API's rule) gets the Encounter without its summary.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.resource import Resource

from core.typing import User
from medicines.models import Visit
from medicines.selectors import seal_visits, visits_visible_to

from .. import codes
from ..outcome import FhirError
from ..registry import Context, ImportContext, ResourceType, meta, reference, register
from ._common import member_here, practitioner

VISIT_KIND = codes.icn_identifier("visit-kind")
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
RESTRICTED = {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}
# A home visit is home health (HH); a phone or video call is virtual (VR).
CLASSES = {
    Visit.Kind.HOME: ("HH", "home health"),
    Visit.Kind.PHONE: ("VR", "virtual"),
    Visit.Kind.VIDEO: ("VR", "virtual"),
}
IMPORTED_RESTRICTION = "Restricted in the system the record came from."


def visit_rows(user: User) -> QuerySet[Visit]:
    """The visits the REST visits API lists for this user, with what the resources name."""
    return visits_visible_to(user).select_related("patient", "visitor", "joint_visitor")


def to_fhir(visits: Sequence[Visit], ctx: Context) -> list[Resource]:
    seal_visits(ctx.user, list(visits))
    return [_encounter(visit) for visit in visits]


def _participant(code: str, display: str, user: Any) -> dict[str, Any]:
    return {
        "type": [{"coding": [{"system": PARTICIPATION, "code": code, "display": display}]}],
        "individual": practitioner(user),
    }


def _encounter(visit: Visit) -> Encounter:
    class_code, class_display = CLASSES[Visit.Kind(visit.kind)]
    resource_meta: dict[str, Any] = meta("Encounter")
    if visit.restricted:
        resource_meta["security"] = [RESTRICTED]
    participants = [_participant("PPRF", "primary performer", visit.visitor)]
    if visit.joint_visitor_id:
        participants.append(_participant("SPRF", "secondary performer", visit.joint_visitor))
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(visit.pk),
        "meta": resource_meta,
        "identifier": [{"system": codes.icn_identifier("visit"), "value": str(visit.pk)}],
        "status": "finished",
        "class": {"system": codes.ACT_CODE, "code": class_code, "display": class_display},
        "type": [
            {
                "coding": [
                    {
                        "system": VISIT_KIND,
                        "code": visit.kind,
                        "display": visit.get_kind_display(),
                    }
                ],
                "text": visit.get_kind_display(),
            }
        ],
        "subject": reference("Patient", visit.patient_id),
        "participant": participants,
        "period": {"start": visit.visited_at.isoformat()},
    }
    # R4's Encounter has no note: the visit's summary (what was found and done) travels as
    # the reason's text, which receiving systems show beside the encounter. Never when sealed.
    if visit.summary and not visit.sealed:
        resource["reasonCode"] = [{"text": visit.summary}]
    return Encounter.model_validate(resource)


def _performer(resource: dict[str, Any], code: str, ctx: ImportContext) -> Any:
    """The visitor (PPRF) or joint visitor (SPRF) when a member of the network here."""
    for participant in resource.get("participant") or []:
        codings = [c for t in participant.get("type") or [] for c in t.get("coding") or []]
        if any(c.get("system") == PARTICIPATION and c.get("code") == code for c in codings):
            return member_here(participant.get("individual"), ctx)
    return None


def from_fhir(resource: dict[str, Any], ctx: ImportContext) -> Visit:
    """The visit the Encounter describes, by its visitors where they are members of the
    network here, else by ``ctx.by``; a restricted one stays restricted."""
    kind = None
    for concept in resource.get("type") or []:
        for coding in concept.get("coding") or []:
            if coding.get("system") == VISIT_KIND and coding.get("code") in Visit.Kind.values:
                kind = coding["code"]
    if kind is None:
        class_code = (resource.get("class") or {}).get("code")
        kind = Visit.Kind.HOME if class_code == "HH" else Visit.Kind.PHONE
    start = (resource.get("period") or {}).get("start")
    if not start:
        raise FhirError(422, ("An Encounter needs period.start (when it was).", "Encounter.period"))
    try:
        visited_at = datetime.fromisoformat(start)
    except ValueError as exc:
        raise FhirError(
            422, ("ICN needs the day and time of a visit (period.start).", "Encounter.period")
        ) from exc
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    summary = "\n".join(c["text"] for c in resource.get("reasonCode") or [] if c.get("text"))
    restricted = any(
        s.get("system") == CONFIDENTIALITY and s.get("code") in {"R", "V"}
        for s in (resource.get("meta") or {}).get("security") or []
    )
    visit = Visit(
        network=ctx.network,
        patient=ctx.patient,
        kind=kind,
        visitor=_performer(resource, "PPRF", ctx) or ctx.by,
        joint_visitor=_performer(resource, "SPRF", ctx),
        visited_at=visited_at,
        summary=summary,
    )
    if restricted:
        visit.restricted = True
        visit.restricted_reason = IMPORTED_RESTRICTION
        visit.restricted_by = ctx.by
        visit.restricted_at = timezone.now()
    visit.full_clean()
    visit.save()
    return visit


ENCOUNTER = register(
    ResourceType(
        name="Encounter",
        profile=codes.profile("Encounter"),
        rows=visit_rows,
        to_fhir=to_fhir,
        from_fhir=from_fhir,
        order=50,
        description="A pharmacist's visit (home, phone or video): when, who visited and what "
        "was done; a restricted visit is labelled R and its summary kept from readers who "
        "may not open it.",
    )
)
