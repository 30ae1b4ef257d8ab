"""``/fhir/R4/``: read and search of ICN's records as UK Core resources, ``$everything``,
the CapabilityStatement, and the transaction endpoint for referral intake (API.md 1.1).

The same token authentication, network scope (row-level security), role filtering,
involvement rule and access trail as the REST API: each resource type's rows come from the
REST API's own selector (interop/registry.py), and this module adds only what FHIR asks for
(Bundles, paging links, OperationOutcome errors). Not in the OpenAPI schema: a FHIR server
describes itself in ``GET /fhir/R4/metadata``.
"""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.resource import Resource
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import AccessEvent
from audit.services import Seen, access_record, access_refused
from core.api import ScopedAPIMixin
from core.replica import data_as_of, replica_reads
from networks.roles import CLINICAL_ROLES
from networks.selectors import active_memberships, network_ids_where
from patients.access import open_patient
from patients.involvement import NOT_INVOLVED_MESSAGE, readable_patients
from patients.models import Patient

from . import intake
from .outcome import FhirError, exception_handler
from .registry import REGISTRY, Context, ResourceType, SearchError, resource_types
from .rendering import FhirJSONParser, FhirJSONRenderer, PlainJSONParser, PlainJSONRenderer

DEFAULT_COUNT = 50
MAX_COUNT = 200
# Parameters every search takes; anything else must be the type's own (else 400).
COMMON_PARAMS = {"_count", "_page", "_format"}
NO_CLINICAL_ROLE = "Your role may not read clinical resources ({type})."


class FhirView(ScopedAPIMixin, APIView):
    renderer_classes = [FhirJSONRenderer, PlainJSONRenderer]
    parser_classes = [FhirJSONParser, PlainJSONParser]
    schema = None  # described by GET /fhir/R4/metadata, not the OpenAPI schema

    def get_exception_handler(self):
        return exception_handler

    def context(self, request: Request) -> Context:
        return Context(user=request.user, base=request.build_absolute_uri("/fhir/R4").rstrip("/"))

    def resource_type(self, name: str) -> ResourceType:
        found = REGISTRY.get(name)
        if found is None:
            raise FhirError(404, f"ICN serves no resource type {name!r}.", code="not-supported")
        return found

    def check_role(self, rt: ResourceType, request: Request) -> None:
        if rt.clinical and not network_ids_where(request.user, CLINICAL_ROLES):
            raise FhirError(403, NO_CLINICAL_ROLE.format(type=rt.name))


def patient_id_of(rt: ResourceType, row: Any) -> int:
    """The person a row is about (``patient_path`` may cross relations: ``visit__patient``)."""
    if rt.name == "Patient":
        return row.pk
    *through, last = rt.patient_path.split("__")
    for step in through:
        row = getattr(row, step)
    return getattr(row, f"{last}_id")


def record_shown(request: Request, patient_ids: Sequence[int], what: str) -> None:
    """One access event per person shown, in one query for their networks and one INSERT."""
    ids = sorted(set(patient_ids))
    if not ids:
        return
    people = Patient.objects.filter(pk__in=ids).values_list("pk", "network_id")
    access_record(
        user=request.user,
        patients=[Seen(pk, network_id) for pk, network_id in people],
        what=what,
        channel="api",
        path=request.get_full_path(),
    )


def _patient_param(value: str) -> int:
    ref = value.removeprefix("Patient/")
    if not ref.isdigit():
        raise FhirError(
            400, ("patient must be a Patient id or reference, e.g. Patient/12.", "patient")
        )
    return int(ref)


def _positive(request: Request, name: str, default: int, most: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1 or (most is not None and int(raw) > most):
        limit = f" up to {most}" if most else ""
        raise FhirError(400, (f"{name} must be a whole number from 1{limit}.", name))
    return int(raw)


def search_rows(rt: ResourceType, request: Request) -> QuerySet[Any]:
    """The type's rows for this user and these search parameters, in a stable order."""
    rows = rt.rows(request.user)
    if rt.clinical:
        rows = rows.filter(**{f"{rt.patient_path}__in": readable_patients(request.user)})
    allowed = COMMON_PARAMS | set(rt.search) | ({"patient"} if rt.name != "Patient" else set())
    for name, values in request.query_params.lists():
        if name not in allowed:
            known = ", ".join(sorted(allowed - COMMON_PARAMS)) or "none"
            raise FhirError(
                400,
                (f"Unknown search parameter {name!r} for {rt.name} (known: {known}).", name),
            )
        for value in values:
            if name == "patient":
                rows = rows.filter(**{rt.patient_id_path: _patient_param(value)})
            elif name in rt.search:
                try:
                    rows = rt.search[name](rows, value)
                except SearchError as exc:
                    raise FhirError(400, (str(exc), name)) from exc
    return rows.order_by("pk")


def searchset(
    resources: list[Resource], ctx: Context, total: int | None, links: list[dict[str, str]]
) -> Bundle:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": timezone.now().isoformat(),
        "link": links,
        "entry": [
            {
                "fullUrl": ctx.full_url(r.get_resource_type(), r.id),
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }
    if total is not None:
        bundle["total"] = total
    return Bundle.model_validate(bundle)


class SearchView(FhirView):
    def get(self, request: Request, resource_type: str) -> Response:
        rt = self.resource_type(resource_type)
        self.check_role(rt, request)
        count = _positive(request, "_count", DEFAULT_COUNT, MAX_COUNT)
        page = _positive(request, "_page", 1)
        rows = search_rows(rt, request)
        start = (page - 1) * count
        chunk = list(rows[start : start + count + 1])
        more, chunk = len(chunk) > count, chunk[:count]
        ctx = self.context(request)
        resources = rt.to_fhir(chunk, ctx)
        total = rows.count() if rt.counts_rows else None
        record_shown(request, [patient_id_of(rt, row) for row in chunk], rt.trail_search)
        links = [{"relation": "self", "url": self._page_url(request, page)}]
        if more:
            links.append({"relation": "next", "url": self._page_url(request, page + 1)})
        if page > 1:
            links.append({"relation": "previous", "url": self._page_url(request, page - 1)})
        return Response(searchset(resources, ctx, total, links))

    def _page_url(self, request: Request, page: int) -> str:
        params = [(k, v) for k, vs in request.query_params.lists() for v in vs if k != "_page"]
        params.append(("_page", str(page)))
        return request.build_absolute_uri(f"{request.path}?{urlencode(params)}")


class ReadView(FhirView):
    def get(self, request: Request, resource_type: str, id: str) -> Response:
        rt = self.resource_type(resource_type)
        self.check_role(rt, request)
        pk = rt.row_id(id)
        row = rt.rows(request.user).filter(pk=pk).first() if pk is not None else None
        if row is None:
            self._refuse(rt, request, id, pk)
        if rt.clinical:
            patient = Patient.objects.get(pk=patient_id_of(rt, row))
            if not request.user.has_perm("patients.view_clinical", patient):
                access_refused(
                    user=request.user,
                    patient_ref=str(patient.pk),
                    patient=patient,
                    what=rt.trail_read,
                    channel="api",
                    outcome=AccessEvent.Outcome.DENIED,
                    path=request.path,
                )
                raise FhirError(403, NOT_INVOLVED_MESSAGE.format(id=patient.pk))
        found = [r for r in rt.to_fhir([row], self.context(request)) if r.id == id]
        if not found:
            raise FhirError(404, f"No {rt.name}/{id} in your networks.")
        record_shown(request, [patient_id_of(rt, row)], rt.trail_read)
        return Response(found[0])

    def _refuse(self, rt: ResourceType, request: Request, id_: str, pk: int | None) -> None:
        """404 for what is not in the caller's networks; 403 for what is, but their role may
        not read; both written to the trail as the REST API does."""
        networks = list(active_memberships(request.user))
        elsewhere = None
        if pk is not None:
            model = rt.rows(request.user).model
            where = (
                "network_id__in" if rt.name == "Patient" else (f"{rt.patient_path}__network_id__in")
            )
            row = model._default_manager.filter(pk=pk, **{where: networks}).first()
            if row is not None:
                elsewhere = Patient.objects.get(pk=patient_id_of(rt, row))
        access_refused(
            user=request.user,
            patient_ref=f"{rt.name}/{id_}",
            patient=elsewhere,
            what=rt.trail_read,
            channel="api",
            outcome=AccessEvent.Outcome.DENIED if elsewhere else AccessEvent.Outcome.NOT_FOUND,
            path=request.path,
        )
        if elsewhere is not None:
            raise FhirError(403, f"Your role may not read this {rt.name}.")
        raise FhirError(404, f"No {rt.name}/{id_} in your networks.")


class EverythingView(FhirView):
    """``Patient/{id}/$everything``: the person and every resource of theirs the caller may
    read (clinical types only with clinical access to this person), one searchset Bundle."""

    def get(self, request: Request, id: str) -> Response:
        patient = open_patient(
            user=request.user, pk=id, what="fhir_everything", channel="api", path=request.path
        )
        ctx = self.context(request)
        clinical = request.user.has_perm("patients.view_clinical", patient)
        resources: list[Resource] = []
        # Who may see what was decided above, on the primary; the rows tolerate lag
        # (core/replica.py), so they come from the replica when there is one.
        with replica_reads():
            for rt in resource_types():
                if rt.clinical and not clinical:
                    continue
                rows = rt.rows(request.user).filter(**{rt.patient_id_path: patient.pk})
                resources += rt.to_fhir(list(rows.order_by("pk")), ctx)
            as_of = data_as_of()
        record_shown(request, [patient.pk], "fhir_everything")
        links = [{"relation": "self", "url": request.build_absolute_uri()}]
        response = Response(searchset(resources, ctx, len(resources), links))
        if as_of:
            response.headers["ICN-Data-As-Of"] = as_of
        return response


class TransactionView(FhirView):
    """``POST /fhir/R4/``: a transaction Bundle (referral intake, interop/intake.py)."""

    def post(self, request: Request) -> Response:
        with transaction.atomic():
            bundle, status_code = intake.process(
                bundle=request.data,
                user=request.user,
                ctx=self.context(request),
                network=request.query_params.get("network"),
                path=request.get_full_path(),
            )
        return Response(bundle, status=status_code)


class MetadataView(FhirView):
    """The CapabilityStatement, built from the registry; open without a token, as FHIR
    servers' are (it names no one)."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response(capability_statement(self.context(request)))


def capability_statement(ctx: Context) -> CapabilityStatement:
    resources = []
    for rt in resource_types():
        params = [] if rt.name == "Patient" else [{"name": "patient", "type": "reference"}]
        params += [{"name": name, "type": "token"} for name in sorted(rt.search)]
        entry: dict[str, Any] = {
            "type": rt.name,
            "profile": rt.profile,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": params,
        }
        if rt.description:
            entry["documentation"] = rt.description
        if rt.name == "Patient":
            entry["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        resources.append(entry)
    return CapabilityStatement.model_validate(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": timezone.now().date().isoformat(),
            "kind": "instance",
            "software": {"name": "ICN"},
            "implementation": {"description": "ICN FHIR R4 (UK Core)", "url": ctx.base},
            "fhirVersion": "4.0.1",
            "format": ["application/fhir+json", "json"],
            "rest": [
                {
                    "mode": "server",
                    "security": {
                        "description": "A token from POST /api/v1/auth/token/, sent as "
                        "'Authorization: Token <token>'. The access rules and the access "
                        "trail are the REST API's."
                    },
                    "resource": resources,
                    "interaction": [{"code": "transaction"}],
                }
            ],
        }
    )


class NotServedView(FhirView):
    permission_classes = [AllowAny]

    def _refuse(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise FhirError(404, f"ICN's FHIR server has nothing at {request.path}.")

    get = post = put = patch = delete = _refuse
