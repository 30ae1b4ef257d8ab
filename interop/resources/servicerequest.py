"""ServiceRequest (UK Core ServiceRequest) from a referral: to which service, why, how urgent,
who referred, and where it stands. The REST referral API's rules: clinical roles read every
referral of their networks, the PIC the PIC service's and their own, anyone else (a partner
system) only the referrals it made; no clinical detail beyond what that API shows them.

ICN's five statuses fold into FHIR's (new and accepted are both ``active``; declined and
withdrawn both ``revoked``); the triage and the closing travel as notes with their times
("Accepted", "Declined: <reason>. <note>", "Completed: <outcome>", "Withdrawn: <outcome>"),
so a record brought in keeps them."""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.servicerequest import ServiceRequest

from core.typing import User
from networks.roles import Service
from referrals.models import OUTCOME_MAX_LENGTH, Referral, ServiceConfig, Urgency
from referrals.selectors import referrals_visible_to, service_labels

from .. import codes
from ..outcome import FhirError
from ..registry import Context, ImportContext, ResourceType, SearchError, meta, reference, register
from ._common import codes_of, person_name, when

REFERRAL_ID = codes.icn_identifier("referral")
STATUS = {
    Referral.Status.NEW: "active",
    Referral.Status.ACCEPTED: "active",
    Referral.Status.DECLINED: "revoked",
    Referral.Status.COMPLETED: "completed",
    Referral.Status.WITHDRAWN: "revoked",
}
ACCEPTED, DECLINED = "Accepted", "Declined"
CLOSED = {Referral.Status.COMPLETED: "Completed", Referral.Status.WITHDRAWN: "Withdrawn"}


def rows(user: User) -> QuerySet[Referral]:
    return referrals_visible_to(user).select_related("referred_by", "source_organisation")


def to_fhir(referrals: Sequence[Referral], ctx: Context) -> list[Resource]:
    """Two queries for the page: the services' labels and their SNOMED CT codes."""
    networks = {r.network_id for r in referrals}
    labels = service_labels(networks)
    snomed = {
        (c.network_id, c.service): c.snomed_code
        for c in ServiceConfig.objects.filter(network_id__in=networks).exclude(snomed_code="")
    }
    return [
        _service_request(
            r,
            labels[r.network_id].get(r.service, r.service),
            snomed.get((r.network_id, r.service), ""),
        )
        for r in referrals
    ]


def requester(referral: Referral) -> str:
    """Who referred: the contact outside ICN and their organisation, else the member."""
    outside = [referral.source_contact]
    if referral.source_organisation_id:
        outside.append(referral.source_organisation.name)
    outside = [part for part in outside if part]
    return ", ".join(outside) if outside else person_name(referral.referred_by)


def _service_request(referral: Referral, label: str, snomed: str) -> ServiceRequest:
    coding = [{"system": codes.ICN_SERVICE, "code": referral.service, "display": label}]
    if snomed:
        coding.append({"system": codes.SNOMED, "code": snomed})
    identifiers = [{"system": REFERRAL_ID, "value": str(referral.pk)}]
    if referral.external_id:
        identifiers.append({"system": referral.external_system, "value": referral.external_id})
    notes = []
    if referral.triaged_at is not None:
        text = ACCEPTED
        if referral.status == Referral.Status.DECLINED:
            text = f"{DECLINED}: {referral.get_decline_reason_display()}"
            if referral.decline_note:
                text += f". {referral.decline_note}"
        notes.append({"time": referral.triaged_at, "text": text})
    if referral.closed_at is not None:
        text = CLOSED[Referral.Status(referral.status)]
        if referral.outcome:
            text += f": {referral.outcome}"
        notes.append({"time": referral.closed_at, "text": text})
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(referral.pk),
        "meta": meta("ServiceRequest"),
        "identifier": identifiers,
        "status": STATUS[Referral.Status(referral.status)],
        "intent": "order",
        "priority": referral.urgency,
        "code": {"coding": coding, "text": label},
        "subject": reference("Patient", referral.patient_id),
        "authoredOn": referral.created_at,
        "requester": {"display": requester(referral)},
        "performerType": {"text": label},
        "reasonCode": [{"text": referral.reason}],
    }
    if notes:
        resource["note"] = notes
    return ServiceRequest.model_validate(resource)


def by_status(rows: QuerySet[Referral], value: str) -> QuerySet[Referral]:
    wanted = {s.strip() for s in value.split(",")}
    known = set(STATUS.values())
    if not wanted <= known:
        raise SearchError(f"status is one of {', '.join(sorted(known))}.")
    return rows.filter(status__in=[icn for icn, fhir in STATUS.items() if fhir in wanted])


def by_identifier(rows: QuerySet[Referral], value: str) -> QuerySet[Referral]:
    """``identifier=system|value``: the partner's own identifier, or ICN's
    (``urn:icn:referral|12``); a bare value is a partner's identifier of any system."""
    system, bar, found = value.rpartition("|")
    if not found:
        raise SearchError("identifier is system|value.")
    if system == REFERRAL_ID:
        if not (found.isdigit() and len(found) <= 18):
            raise SearchError(f"{REFERRAL_ID} identifiers are whole numbers.")
        return rows.filter(pk=int(found))
    if bar:
        return rows.filter(external_system=system, external_id=found)
    return rows.filter(external_id=found)


def from_fhir(resource: dict[str, Any], ctx: ImportContext) -> Referral:
    """The referral the resource describes, in ctx.network for ctx.patient, with its status,
    triage and closing as its notes say (no notification, task or flag raised)."""
    services = codes_of(resource.get("code"), codes.ICN_SERVICE)
    if not services:
        raise FhirError(422, (f"ServiceRequest.code names no {codes.ICN_SERVICE} code.", "code"))
    service = services[0]
    label = next(
        (
            c.get("display", "")
            for c in resource["code"]["coding"]
            if c.get("system") == codes.ICN_SERVICE
        ),
        "",
    )
    if (
        service not in Service.values
        and not ServiceConfig.objects.filter(network=ctx.network, service=service).exists()
    ):
        # A service this network does not run: kept, switched off, so the history reads.
        ServiceConfig.objects.create(
            network=ctx.network,
            service=service,
            label=label[:80] or service,
            serving_roles=["chair"],
            active=False,
        )
    triage = closing = None
    for note in resource.get("note", []):
        text = note.get("text", "")
        if text.startswith((ACCEPTED, DECLINED)):
            triage = note
        elif text.startswith(tuple(CLOSED.values())):
            closing = note
    status = _status(resource.get("status", ""), triage, closing)
    referral = Referral(
        network=ctx.network,
        patient=ctx.patient,
        service=service,
        reason=((resource.get("reasonCode") or [{}])[0].get("text") or "")[:4000],
        urgency=Urgency.URGENT
        if resource.get("priority") in ("urgent", "asap", "stat")
        else Urgency.ROUTINE,
        status=status,
        referred_by=ctx.by,
        source_contact=(resource.get("requester") or {}).get("display", "")[:200],
    )
    external = [
        i for i in resource.get("identifier", []) if i.get("system") not in (None, REFERRAL_ID)
    ]
    if external:
        referral.external_system = external[0]["system"][:200]
        referral.external_id = external[0].get("value", "")[:200]
    if triage is not None:
        referral.triaged_at = when(triage.get("time"), "note.time") or when(
            resource.get("authoredOn"), "authoredOn"
        )
        referral.triaged_by = ctx.by
        if status == Referral.Status.DECLINED:
            _declined(referral, triage["text"])
    if closing is not None:
        referral.closed_at = when(closing.get("time"), "note.time") or referral.triaged_at
        referral.closed_by = ctx.by
        _verb, _colon, outcome = closing["text"].partition(": ")
        referral.outcome = outcome[:OUTCOME_MAX_LENGTH]
    if (
        referral.is_open
        and (
            Referral.objects.filter(patient=ctx.patient, service=service, status__in=Referral.OPEN)
        ).exists()
    ):
        raise FhirError(
            422, (f"The person already has an open referral to {service} here.", "status")
        )
    referral.save()
    authored = when(resource.get("authoredOn"), "authoredOn")
    if authored is not None:
        Referral.objects.filter(pk=referral.pk).update(created_at=authored)
        referral.created_at = authored
    return referral


def _status(fhir_status: str, triage: Any, closing: Any) -> str:
    if fhir_status == "completed":
        return Referral.Status.COMPLETED
    if fhir_status == "revoked":
        if triage is not None and triage["text"].startswith(DECLINED):
            return Referral.Status.DECLINED
        return Referral.Status.WITHDRAWN
    if fhir_status in ("active", "on-hold") and triage is not None:
        return Referral.Status.ACCEPTED
    return Referral.Status.NEW


def _declined(referral: Referral, text: str) -> None:
    said = text.removeprefix(f"{DECLINED}: ")
    for reason, label in Referral.DeclineReason.choices:
        if said.startswith(label):
            referral.decline_reason = reason
            referral.decline_note = said.removeprefix(label).removeprefix(". ")[:2000]
            return
    referral.decline_reason = Referral.DeclineReason.OTHER
    referral.decline_note = said[:2000]


SERVICE_REQUEST = register(
    ResourceType(
        name="ServiceRequest",
        profile=codes.profile("ServiceRequest"),
        rows=rows,
        to_fhir=to_fhir,
        clinical=False,
        search={"status": by_status, "identifier": by_identifier},
        from_fhir=from_fhir,
        order=30,
        description="Referrals, as the REST referral API shows them to the caller: the "
        "service (ICN's code and SNOMED CT), reason, urgency, referrer, triage and outcome. "
        "identifier=system|value finds a partner's own referral.",
    )
)
