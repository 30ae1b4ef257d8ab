"""``POST /fhir/R4/``: a transaction Bundle of one Patient and one ServiceRequest, the
referral intake for partner systems (API.md 1.1 "FHIR R4").

What is accepted:
- a Bundle of ``type`` ``transaction`` with exactly two entries, a UK Core Patient and a
  ServiceRequest, each with ``request.method`` ``POST`` (a conditional create's
  ``ifNoneExist`` is accepted and not needed: ICN matches the person by NHS number and the
  referral by its identifier whatever it says); PUT, DELETE and other resources: 400;
- ``ServiceRequest.subject`` names the Patient entry's ``fullUrl`` (``urn:uuid:...``), or is
  the relative ``Patient/{id}`` that resolves to it by FHIR's rule (both entries' fullUrls on
  the same base);
- ``ServiceRequest.status`` ``active``; its ``identifier`` (the first with a system and a
  value) is required and makes a repeated Bundle create nothing new;
- the service: a ``code.coding`` with system ``urn:icn:service`` and an active service code
  of the network (other codings, SNOMED CT, are kept out of the way);
- ``priority``: absent or ``routine`` -> routine; ``urgent``, ``asap`` and ``stat`` ->
  urgent (ICN has two levels; the more pressing FHIR codes are not played down);
- the reason: each ``reasonCode``'s text (else its codings' display), then each ``note``'s
  text; 400 when there is none.

Who: the roles that may refer in the network (POST /api/v1/referrals/'s rule: casework roles
and partner systems; care home staff for their own home's residents only). The network is
the caller's; a member who may refer in several gives ``?network=<slug>``.

The person is matched by NHS number in the network (a different date of birth: 422, nothing
saved; ICN's record is not changed by what the Bundle says) or created from the Patient
(interop/resources/patient.py). Errors are OperationOutcomes naming where (a FHIRPath-like
expression), and the view's transaction leaves nothing saved.

At the same moment: the unique indexes decide. The same Bundle twice: the loser's referral
meets the identifier's (or the open referral's) index and answers as a repeat. Two Bundles
for the same new person: the loser meets the NHS number's index, matches the person the
winner recorded, and makes its own referral.
"""

from dataclasses import dataclass
from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.resource import Resource

from audit.services import access_record
from core.errors import Conflict
from core.typing import User
from networks.models import Membership, Network
from networks.roles import Role
from networks.selectors import active_memberships, network_by_slug_for
from patients.models import Patient
from referrals import services as referral_services
from referrals.api import REFERRING_ROLES
from referrals.models import Referral, Urgency
from referrals.selectors import service_directory

from . import codes
from .outcome import FhirError
from .registry import Context
from .resources.patient import birth_date_of, nhs_number_of, patient_fields, patient_from_fields

TYPES = ("Patient", "ServiceRequest")
PRIORITIES = {
    None: Urgency.ROUTINE,
    "routine": Urgency.ROUTINE,
    "urgent": Urgency.URGENT,
    "asap": Urgency.URGENT,
    "stat": Urgency.URGENT,
}
NOT_A_REFERRER = "Your role may not make referrals."
MISMATCH = (
    "The person recorded in ICN with this NHS number has another date of birth: check the "
    "NHS number and the date of birth. Nothing was saved."
)
OTHER_PERSON = (
    "This ServiceRequest.identifier is already given to a referral of another person in "
    "this network. Nothing was saved."
)
WHAT = "fhir_intake"


@dataclass
class Asked:
    """What the Bundle asks, checked: where each entry is, and the referral's fields."""

    patient: dict[str, Any]
    patient_at: int
    request_at: int
    service: str
    urgency: str
    reason: str
    system: str
    value: str

    def at(self, index: int) -> str:
        return f"Bundle.entry[{index}].resource"

    @property
    def p(self) -> str:
        return self.at(self.patient_at)

    @property
    def sr(self) -> str:
        return self.at(self.request_at)


def process(
    *, bundle: Any, user: User, ctx: Context, network: str | None = None, path: str = ""
) -> tuple[Resource, int]:
    """The transaction-response Bundle and its status; raises FhirError with nothing saved.
    `network`: the ``?network=`` slug, for a member who may refer in several networks."""
    membership = _membership(user, network)
    place = membership.network
    asked = _read(bundle, place)
    existing = _by_identifier(place, asked)
    if existing is not None:
        return _again(existing, asked, user=user, path=path)
    fields = patient_fields(asked.patient, place, asked.p)
    source = membership.organisation if membership.role == Role.PARTNER_SYSTEM else None
    for tries_left in (1, 0):
        patient = Patient.objects.filter(network=place, nhs_number=fields["nhs_number"]).first()
        if patient is not None and patient.date_of_birth != fields["date_of_birth"]:
            raise FhirError(422, (MISMATCH, f"{asked.p}.birthDate"))
        if not user.has_perm("referrals.add_referral", patient or Patient(network=place)):
            raise FhirError(403, NOT_A_REFERRER)
        created = patient is None
        try:
            with transaction.atomic():
                if patient is None:
                    patient = patient_from_fields(
                        fields=fields, network=place, by=user, where=asked.p
                    )
                raised = referral_services.referral_create(
                    patient=patient,
                    service=asked.service,
                    reason=asked.reason,
                    urgency=asked.urgency,
                    by=user,
                    source_organisation=source,
                    external_system=asked.system,
                    external_id=asked.value,
                )
        except (Conflict, IntegrityError) as exc:
            # The same Bundle sent twice at once: the other one's referral is committed now
            # (the unique index waited for it), so this one answers as a repeat.
            existing = _by_identifier(place, asked)
            if existing is not None:
                return _again(existing, asked, user=user, path=path)
            # Another referral of the same new person at the same moment recorded them
            # first: match them, once.
            if isinstance(exc, Conflict) and exc.field == "nhs_number" and tries_left:
                continue
            if isinstance(exc, Conflict):
                raise FhirError(409, (exc.message, _where(asked, exc.field or ""))) from exc
            raise
        except ValidationError as exc:
            raise _invalid(exc, asked) from exc
        referral = raised.referral
        assert referral is not None
        access_record(user=user, patients=[patient], what=WHAT, channel="api", path=path)
        answer = _response(asked, patient.pk, referral.pk, patient_new=created, referral_new=True)
        return answer, 200
    raise AssertionError("unreachable: the second try returns or raises")


def _membership(user: User, slug: str | None) -> Membership:
    """The membership in the network the referral goes to: 403 for a role that may not
    refer, 400 when the caller may refer in several networks and named none."""
    referring = {nid: m for nid, m in active_memberships(user).items() if m.role in REFERRING_ROLES}
    if slug:
        network = network_by_slug_for(user, slug)
        if network is None:
            raise FhirError(400, (f"You are not a member of a network {slug!r}.", "network"))
        if network.pk not in referring:
            raise FhirError(403, NOT_A_REFERRER)
        return referring[network.pk]
    if not referring:
        raise FhirError(403, NOT_A_REFERRER)
    if len(referring) > 1:
        slugs = ", ".join(sorted(m.network.slug for m in referring.values()))
        raise FhirError(
            400,
            (
                f"You may refer in several networks ({slugs}): name one with ?network=<slug>.",
                "network",
            ),
        )
    return next(iter(referring.values()))


def _fhirpath(loc: tuple[Any, ...]) -> str:
    where = "Bundle"
    for step in loc:
        where += f"[{step}]" if isinstance(step, int) else f".{step}"
    return where


def _read(data: Any, network: Network) -> Asked:
    """The Bundle checked and its referral read: 400 (or 422) naming where it is wrong."""
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise FhirError(400, ("Send a FHIR Bundle of type transaction.", "Bundle"))
    if data.get("type") != "transaction":
        raise FhirError(
            400,
            (f"The Bundle's type must be transaction, not {data.get('type')!r}.", "Bundle.type"),
        )
    entries = data.get("entry")
    if not isinstance(entries, list) or not entries:
        raise FhirError(400, ("The Bundle has no entries.", "Bundle.entry"))
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if kind not in TYPES:
            raise FhirError(
                400,
                (
                    f"ICN's intake takes one Patient and one ServiceRequest, not {kind!r}.",
                    f"Bundle.entry[{i}].resource.resourceType",
                ),
            )
    try:
        Bundle.model_validate(data)
    except pydantic.ValidationError as exc:
        issues = [(str(e["msg"]), _fhirpath(e["loc"])) for e in exc.errors()[:20]]
        raise FhirError(400, *issues) from exc
    kinds = [entry["resource"]["resourceType"] for entry in entries]
    if sorted(kinds) != sorted(TYPES):
        raise FhirError(
            400,
            (
                "ICN's intake takes exactly one Patient and one ServiceRequest "
                f"(this Bundle has {', '.join(kinds)}).",
                "Bundle.entry",
            ),
        )
    patient_at, request_at = kinds.index("Patient"), kinds.index("ServiceRequest")
    for i, entry in enumerate(entries):
        _check_request(entry, i)
    _check_subject(entries, patient_at, request_at)
    resource = entries[request_at]["resource"]
    sr = f"Bundle.entry[{request_at}].resource"
    if resource.get("status") != "active":
        raise FhirError(
            400,
            (
                f"ICN takes an active ServiceRequest, not {resource.get('status')!r}.",
                f"{sr}.status",
            ),
        )
    system, value = _identifier(resource, sr)
    priority = resource.get("priority")
    if priority not in PRIORITIES:
        raise FhirError(
            400,
            (f"priority is routine, urgent, asap or stat, not {priority!r}.", f"{sr}.priority"),
        )
    return Asked(
        patient=entries[patient_at]["resource"],
        patient_at=patient_at,
        request_at=request_at,
        service=_service(resource, sr, network),
        urgency=PRIORITIES[priority],
        reason=_reason(resource, sr),
        system=system,
        value=value,
    )


def _check_request(entry: dict[str, Any], i: int) -> None:
    kind = entry["resource"]["resourceType"]
    request = entry.get("request")
    if not request:
        raise FhirError(
            400,
            (
                f"Each entry of a transaction says what to do: request.method POST, url {kind}.",
                f"Bundle.entry[{i}].request",
            ),
        )
    if request.get("method") != "POST":
        raise FhirError(
            400,
            (
                f"ICN's intake creates: request.method POST (a conditional create with "
                f"ifNoneExist is accepted), not {request.get('method')!r}.",
                f"Bundle.entry[{i}].request.method",
            ),
        )
    if (request.get("url") or "").split("?")[0].strip("/") != kind:
        raise FhirError(
            400, (f"request.url of a {kind} is {kind}.", f"Bundle.entry[{i}].request.url")
        )


def _check_subject(entries: list[dict[str, Any]], patient_at: int, request_at: int) -> None:
    full_url = entries[patient_at].get("fullUrl") or ""
    if not full_url:
        raise FhirError(
            400,
            (
                "The Patient entry needs a fullUrl (e.g. urn:uuid:...) for the "
                "ServiceRequest's subject to name.",
                f"Bundle.entry[{patient_at}].fullUrl",
            ),
        )
    subject = (entries[request_at]["resource"].get("subject") or {}).get("reference") or ""
    if subject == full_url:
        return
    # A relative reference resolves against the base of the entry that holds it (FHIR
    # "Resolving references in Bundles"): ServiceRequest at {base}/ServiceRequest/x.
    own = entries[request_at].get("fullUrl") or ""
    base = own.rsplit("/", 2)[0] if own.count("/") >= 2 and "://" in own else ""
    if base and subject.startswith("Patient/") and f"{base}/{subject}" == full_url:
        return
    raise FhirError(
        400,
        (
            f"The ServiceRequest's subject must be the Patient entry's fullUrl ({full_url}).",
            f"Bundle.entry[{request_at}].resource.subject",
        ),
    )


def _identifier(resource: dict[str, Any], sr: str) -> tuple[str, str]:
    for identifier in resource.get("identifier") or []:
        if identifier.get("system") and identifier.get("value"):
            return identifier["system"], identifier["value"]
    raise FhirError(
        400,
        (
            "ICN needs ServiceRequest.identifier with a system and a value: your own id for "
            "the referral, so that a Bundle sent again creates nothing new.",
            f"{sr}.identifier",
        ),
    )


def _service(resource: dict[str, Any], sr: str, network: Network) -> str:
    directory = service_directory(network)
    offered = ", ".join(code for code, info in directory.items() if info.active)
    for j, coding in enumerate((resource.get("code") or {}).get("coding") or []):
        if coding.get("system") != codes.ICN_SERVICE:
            continue
        code = coding.get("code") or ""
        info = directory.get(code)
        if info is None or not info.active:
            raise FhirError(
                400,
                (
                    f"{code!r} is not an active service of this network: choose one of {offered}.",
                    f"{sr}.code.coding[{j}].code",
                ),
            )
        return code
    raise FhirError(
        400,
        (
            f"Name ICN's service in code.coding, with system {codes.ICN_SERVICE} and one of "
            f"{offered}.",
            f"{sr}.code",
        ),
    )


def _reason(resource: dict[str, Any], sr: str) -> str:
    parts = []
    for reason in resource.get("reasonCode") or []:
        text = (reason.get("text") or "").strip()
        if not text:
            text = "; ".join(
                c["display"].strip() for c in reason.get("coding") or [] if c.get("display")
            )
        if text:
            parts.append(text)
    parts += [(n.get("text") or "").strip() for n in resource.get("note") or []]
    reason = "\n".join(part for part in parts if part)
    if not reason:
        raise FhirError(
            400,
            ("Say why you are referring: reasonCode text, or a note.", f"{sr}.reasonCode"),
        )
    if len(reason) > referral_services.REASON_MAX_LENGTH:
        raise FhirError(
            400,
            (
                f"The reason (reasonCode and note texts together) is {len(reason)} characters: "
                f"ICN keeps up to {referral_services.REASON_MAX_LENGTH}.",
                f"{sr}.reasonCode",
            ),
        )
    return reason


def _by_identifier(network: Network, asked: Asked) -> Referral | None:
    return (
        Referral.objects.filter(
            network=network, external_system=asked.system, external_id=asked.value
        )
        .select_related("patient")
        .first()
    )


def _again(referral: Referral, asked: Asked, *, user: User, path: str) -> tuple[Resource, int]:
    """A Bundle sent again: nothing new, the same answer with 200 for each entry. The same
    identifier for another person (or another date of birth) is the sender's mistake."""
    person = referral.patient
    if person.nhs_number != nhs_number_of(asked.patient, asked.p):
        raise FhirError(409, (OTHER_PERSON, f"{asked.sr}.identifier"))
    if person.date_of_birth != birth_date_of(asked.patient, asked.p):
        raise FhirError(422, (MISMATCH, f"{asked.p}.birthDate"))
    access_record(user=user, patients=[person], what=WHAT, channel="api", path=path)
    return _response(asked, person.pk, referral.pk, patient_new=False, referral_new=False), 200


def _response(
    asked: Asked, patient_id: int, referral_id: int, *, patient_new: bool, referral_new: bool
) -> Bundle:
    def entry(location: str, new: bool) -> dict[str, Any]:
        return {"response": {"status": "201 Created" if new else "200 OK", "location": location}}

    entries = {
        asked.patient_at: entry(f"Patient/{patient_id}", patient_new),
        asked.request_at: entry(f"ServiceRequest/{referral_id}", referral_new),
    }
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "transaction-response",
            "timestamp": timezone.now().isoformat(),
            "entry": [entries[i] for i in sorted(entries)],
        }
    )


# A referral's fields, as ServiceRequest elements (for the services' ValidationErrors).
REFERRAL_PATHS = {
    "service": "code",
    "reason": "reasonCode",
    "urgency": "priority",
    "external_system": "identifier",
    "external_id": "identifier",
}


def _where(asked: Asked, field: str) -> str:
    if field == "nhs_number":
        return f"{asked.p}.identifier"
    return f"{asked.sr}.{REFERRAL_PATHS[field]}" if field in REFERRAL_PATHS else asked.sr


def _invalid(exc: ValidationError, asked: Asked) -> FhirError:
    """The services' ValidationError: 422 for the PIC without consent to share (the Bundle
    is right; the person's record does not allow it), else 400 naming the element."""
    messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    if "consent_sharing" in messages:
        return FhirError(422, (messages["consent_sharing"][0], f"{asked.sr}.code"))
    return FhirError(
        400, *[(m, _where(asked, field)) for field, texts in messages.items() for m in texts]
    )
