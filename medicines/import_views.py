"""Pages of medicines from dm+d: the medication form's dm+d search (htmx), and a GP
medication list brought in and reconciled line by line (medicines.services)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import Conflict
from dmd.selectors import products_matching
from networks.access import member_required
from networks.roles import CLINICAL_ROLES
from networks.selectors import network_ids_where

from . import services
from .forms import GpListUploadForm, ImportDecisionForm
from .models import Medication, MedicationImport
from .views import MEDICINES, _forbidden, _open, _seen


@member_required
@require_http_methods(["GET", "POST"])
def gp_import_upload_view(request, pk: int):
    """Upload a GP medication list (FHIR Bundle) for the person: staged, then reconciled."""
    patient = _open(request, pk, "medication_import_form")
    if not request.user.has_perm("medicines.change_medicines", patient):
        return _forbidden(request, "Your role may not change the medication list.", patient)
    form = (
        GpListUploadForm(request.POST, request.FILES)
        if request.method == "POST"
        else GpListUploadForm()
    )
    _seen(request, [patient], "medication_import_form")
    if request.method == "POST" and form.is_valid():
        try:
            staged = services.medication_import_stage(
                patient=patient,
                by=request.user,
                source_text=form.cleaned_data["file"],
                channel=MedicationImport.Channel.PAGE,
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            return redirect("medicines:gp_import", patient.pk, staged.pk)
    return render(
        request,
        "medicines/gp_import_upload.html",
        {"patient": patient, "form": form},
        status=422 if form.errors else 200,
    )


def _staged(request, pk: int, import_id: int, what: str):
    patient = _open(request, pk, what)
    staged = MedicationImport.objects.filter(patient=patient, pk=import_id).first()
    if staged is None:
        raise Http404("No such GP list for this person.")
    return patient, staged


@member_required
@require_GET
def gp_import_view(request, pk: int, import_id: int):
    """The reconcile page: each line of a GP list beside ours, and the decision on it."""
    patient, staged = _staged(request, pk, import_id, "medication_import")
    if not request.user.has_perm("medicines.change_medicines", patient):
        return _forbidden(request, "Your role may not change the medication list.", patient)
    return _reconcile_page(request, patient, staged)


def _reconcile_page(request, patient, staged, *, errors=None, status=200):
    lines = list(
        staged.lines.select_related("medication", "decided_by", "result").order_by("position")
    )
    _seen(request, [patient], "medication_import")
    for line in lines:
        line.errors = (errors or {}).get(line.pk, [])
    pending = sum(1 for line in lines if not line.decision)
    return render(
        request,
        "medicines/gp_import.html",
        {
            "patient": patient,
            "staged": staged,
            "lines": lines,
            "pending": pending,
            "errors": errors or {},
        },
        status=status,
    )


@member_required
@require_POST
def gp_import_decide_view(request, pk: int, import_id: int, line_id: int):
    patient, staged = _staged(request, pk, import_id, "medication_import_decide")
    if not request.user.has_perm("medicines.change_medicines", patient):
        return _forbidden(request, "Your role may not change the medication list.", patient)
    line = staged.lines.filter(pk=line_id).first()
    if line is None:
        raise Http404("No such line in this GP list.")
    form = ImportDecisionForm(request.POST)
    if form.is_valid():
        try:
            decided = services.medication_import_line_decide(
                line=line, decision=form.cleaned_data["decision"], by=request.user
            )
        except ValidationError as exc:
            return _reconcile_page(
                request, patient, staged, errors={line.pk: exc.messages}, status=422
            )
        except Conflict as exc:
            return _reconcile_page(
                request, patient, staged, errors={line.pk: [exc.message]}, status=409
            )
        messages.success(
            request,
            f"{decided.name}: {decided.get_decision_display().lower()}.",
            extra_tags=MEDICINES,
        )
        return redirect(
            reverse("medicines:gp_import", args=[patient.pk, staged.pk]) + f"#line-{line.pk}"
        )
    return _reconcile_page(
        request, patient, staged, errors={line.pk: form.errors["decision"]}, status=422
    )


# A VMP's form (dm+d's words) as the medication line's form, where one is plainly the other.
DMD_FORMS = {
    "tablet": Medication.Form.TABLET,
    "capsule": Medication.Form.CAPSULE,
    "pressurised inhalation": Medication.Form.INHALER,
    "transdermal patch": Medication.Form.PATCH,
}


@member_required
@require_GET
def dmd_search_view(request):
    """The medication form's dm+d search (htmx): products for the words typed, each a button
    that fills the name, strength, form and code (static/js/dmd-search.js). Reference data,
    no person's data: no access event."""
    if not network_ids_where(request.user, CLINICAL_ROLES):
        return _forbidden(request, "Your role may not enter medicines.")
    q = request.GET.get("q", "")[:100].strip()
    products = products_matching(q) if len(q) >= 2 else []
    rows = [{"product": p, "form": DMD_FORMS.get(p.form.lower(), "")} for p in products]
    response = render(request, "medicines/dmd_results.html", {"q": q, "rows": rows})
    response["Vary"] = "HX-Request"
    return response
