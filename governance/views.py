"""The IG lead's pages: a subject access request (search by NHS number, then the bundle as
JSON and as PDF) and the retention review with erasure. Every page is for the network's
information governance lead only: another role in the network 403, another network 404."""

import json
from collections import defaultdict
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from audit.services import Seen, access_record
from core.errors import Conflict
from core.forms import add_service_errors
from core.pdf import pdf_response
from networks.access import member_required
from networks.selectors import role_in
from patients.models import Patient

from .forms import ErasureForm, SubjectAccessForm
from .models import SubjectAccessRequest
from .selectors import (
    NOT_IG_LEAD,
    governed_network,
    governed_networks,
    retention_cutoff,
    retention_due,
    subject_access_bundle,
    with_last_activity,
)
from .services import WHAT_SAR, patient_erase, subject_access_request_answer

PER_PAGE = 50


def _refused(request, message: str = NOT_IG_LEAD):
    return render(request, "403.html", {"message": message}, status=403)


def _governed_object(request, network_id: int) -> None:
    """403 for another role in the object's network, 404 outside the user's networks."""
    role = role_in(request.user, network_id)
    if role is None:
        raise Http404("Not found.")
    if role != "ig_lead":
        raise PermissionDenied(NOT_IG_LEAD)


@member_required
@require_http_methods(["GET", "POST"])
def subject_access_view(request):
    networks = governed_networks(request.user)
    if not networks:
        return _refused(request)
    form = SubjectAccessForm(request.POST or None, networks=networks)
    if request.method == "POST" and form.is_valid():
        try:
            network = governed_network(request.user, form.cleaned_data["network"])
            answer = subject_access_request_answer(
                network=network,
                nhs_number=form.cleaned_data["nhs_number"],
                reference=form.cleaned_data["reference"],
                channel="page",
                by=request.user,
                path=request.path,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            return _refused(request, str(exc))
        else:
            if answer.patient is not None:
                return redirect("governance:subject_access_result", pk=answer.request.pk)
            form.add_error("nhs_number", answer.not_held_message())
    status = 422 if form.errors else 200
    return render(request, "governance/subject_access.html", {"form": form}, status=status)


def _request_for(request, pk: int) -> SubjectAccessRequest:
    sar = get_object_or_404(
        SubjectAccessRequest.objects.select_related("patient__network", "requested_by"),
        pk=pk,
        patient__isnull=False,
    )
    _governed_object(request, sar.network_id)
    return sar


def _governed_request(view):
    """The view of one request of a network the user governs: 403 for another role there,
    404 outside their networks or once the person was erased."""

    @wraps(view)
    def wrapped(request, pk: int):
        try:
            sar = _request_for(request, pk)
        except PermissionDenied as exc:
            return _refused(request, str(exc))
        return view(request, sar)

    return wrapped


def _bundle(request, sar: SubjectAccessRequest, channel: str) -> dict:
    assert sar.patient is not None
    access_record(
        user=request.user,
        patients=[sar.patient],
        what=WHAT_SAR,
        channel=channel,
        path=request.get_full_path(),
    )
    return subject_access_bundle(sar)


@member_required
@require_GET
@_governed_request
def subject_access_result_view(request, sar: SubjectAccessRequest):
    bundle = _bundle(request, sar, "page")
    return render(
        request,
        "governance/subject_access_result.html",
        {"sar": sar, "patient": sar.patient, "bundle": bundle},
    )


@member_required
@require_GET
@_governed_request
def subject_access_json_view(request, sar: SubjectAccessRequest):
    body = json.dumps(_bundle(request, sar, "export"), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="subject-access-{sar.pk}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


def printable(bundle: dict) -> list[dict]:
    """The bundle's tables that hold rows, each row as (label, text) pairs for the PDF. A
    history table's version shows when, how and by whom, and only what differed from the
    next newer version (or from the entry as it is now): the JSON keeps every column."""
    current = {t["table"]: {r.get("id"): r for r in t["rows"]} for t in bundle["tables"]}
    tables = []
    for table in bundle["tables"]:
        if not table["rows"]:
            continue
        labels = {c["name"]: c["label"] for c in table["columns"]}
        rows = table["rows"]
        if table["history_of"]:
            rows = _versions(rows, current.get(table["history_of"], {}))
        tables.append(
            {
                "label": table["label"],
                "table": table["table"],
                "rows": [
                    [(labels[k], _text(v)) for k, v in row.items() if v not in (None, "")]
                    for row in rows
                ],
            }
        )
    return tables


HISTORY_META = ("pgh_created_at", "pgh_label", "pgh_context_id")


def _versions(events: list[dict], now: dict) -> list[dict]:
    """Each version as its meta columns and the columns that differ from the newer one."""
    by_row: dict = defaultdict(list)
    for event in events:
        by_row[(event.get("pgh_obj_id") or {}).get("id")].append(event)
    shown = []
    for row_id, versions in by_row.items():
        newer = now.get(row_id)
        for event in sorted(versions, key=lambda e: e["pgh_id"], reverse=True):
            meta = {k: event.get(k) for k in HISTORY_META}
            changed = {
                k: v
                for k, v in event.items()
                if not k.startswith("pgh_") and (newer is None or newer.get(k) != v)
            }
            shown.append({**meta, **changed})
            newer = event
    return shown


def _text(value) -> str:
    if isinstance(value, dict):
        if "label" in value:
            return str(value["label"])
        if "name" in value:
            return str(value["name"])
        if "username" in value:
            return str(value["username"])
        return f"#{value.get('id')}"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


@member_required
@require_GET
@_governed_request
def subject_access_pdf_view(request, sar: SubjectAccessRequest):
    bundle = _bundle(request, sar, "export")
    context = {
        "sar": sar,
        "patient": sar.patient,
        "bundle": bundle,
        "tables": printable(bundle),
        "empty": [t["label"] for t in bundle["tables"] if not t["rows"]],
        "generated_at": timezone.localtime(),
    }
    return pdf_response(request, "pdf/subject_access.html", context, f"subject-access-{sar.pk}.pdf")


@member_required
@require_GET
def retention_view(request):
    try:
        network = governed_network(request.user, request.GET.get("network", "").strip())
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    page = Paginator(retention_due(network), PER_PAGE).get_page(request.GET.get("page"))
    access_record(
        user=request.user,
        patients=[Seen(p.pk, p.network_id) for p in page.object_list],
        what="retention_review",
        channel="page",
        path=request.get_full_path(),
    )
    context = {
        "network": network,
        "networks": governed_networks(request.user),
        "page": page,
        "cutoff": retention_cutoff(),
        "years": settings.RETENTION_YEARS,
        "query": f"network={network.slug}&",
    }
    return render(request, "governance/retention.html", context)


@member_required
@require_http_methods(["GET", "POST"])
def erase_view(request, pk: int):
    patient = get_object_or_404(
        with_last_activity(Patient.objects.select_related("network")), pk=pk
    )
    try:
        _governed_object(request, patient.network_id)
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    due = retention_due(patient.network).filter(pk=patient.pk).exists()
    form = ErasureForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not due:
            status = 409
        elif form.is_valid():
            try:
                patient_erase(
                    patient=patient,
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                    path=request.path,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except Conflict:
                status = 409
            else:
                messages.success(
                    request, "The record was erased. The access trail keeps a tombstone."
                )
                return redirect(f"/governance/retention/?network={patient.network.slug}")
        if form.errors:
            status = 422
    access_record(
        user=request.user,
        patients=[patient],
        what="retention_review",
        channel="page",
        path=request.get_full_path(),
    )
    context = {"patient": patient, "form": form, "due": due, "cutoff": retention_cutoff()}
    return render(request, "governance/erase.html", context, status=status)
