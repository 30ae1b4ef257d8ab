"""Hospital admissions (htmx pages): one entered by hand, or a hospital CSV feed uploaded with
its progress shown, checked row by row, and imported only when the user decides.

Who: the chair and the integrated manager of the network (reports/admissions.py says why);
everyone else is refused (403), and an import of a network the user is not in is 404. The
check result names people, so each page of it is written to the access trail."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from audit.services import access_record
from core.errors import Conflict, NotAllowed
from core.forms import add_service_errors
from networks.access import member_required
from networks.current import current_membership
from networks.roles import Role
from networks.selectors import active_memberships
from patients.models import Patient

from . import admissions
from .admission_forms import AdmissionForm, AdmissionUploadForm
from .models import AdmissionImport

ROWS_PER_PAGE = 100
RECENT_IMPORTS = 10


def _forbidden(request, message: str):
    return render(request, "403.html", {"message": message}, status=403)


def _refusal(membership) -> str:
    if membership is not None and membership.role == Role.MANAGER:
        return (
            "Admissions name people and their NHS numbers, so they are recorded by the chair "
            "and the integrated manager, who see people's records. The reports show the "
            "figures."
        )
    return "Admissions are recorded by the chair and the integrated manager of the network."


def _admissions_network(request):
    """The current network when the user records admissions there, else None."""
    membership = current_membership(request)
    if membership is None or membership.role not in admissions.ADMISSION_ROLES:
        return None
    return membership.network


def _page_context(request, network, *, manual=None, upload=None) -> dict:
    return {
        "network": network,
        "manual_form": manual or AdmissionForm(network=network),
        "upload_form": upload or AdmissionUploadForm(),
        "imports": list(
            AdmissionImport.objects.filter(network=network)
            .select_related("uploaded_by")
            .order_by("-uploaded_at", "-id")[:RECENT_IMPORTS]
        ),
        "max_rows": admissions.MAX_ROWS,
    }


@member_required
@require_http_methods(["GET", "POST"])
def admissions_view(request):
    """The admissions page: enter one by hand (POST here), upload a CSV to check (POST to
    admissions_check_view), and the recent imports with their status."""
    network = _admissions_network(request)
    if network is None:
        return _forbidden(request, _refusal(current_membership(request)))
    manual, status = None, 200
    if request.method == "POST":
        manual = AdmissionForm(request.POST, network=network)
        if manual.is_valid():
            data, patient = manual.cleaned_data, manual.patient
            # The answer names the person (or their date of birth): to the access trail.
            access_record(
                user=request.user,
                patients=[patient],
                what="admission_record",
                channel="page",
                path=request.path,
            )
            try:
                event = admissions.admission_record(
                    patient=patient,
                    admitted_on=data["admitted_on"],
                    kind=data["kind"],
                    by=request.user,
                )
            except Conflict as exc:
                manual.add_error(exc.field, exc.message)
                status = 409
            except ValidationError as exc:
                add_service_errors(manual, exc)
                status = 422
            else:
                messages.success(
                    request,
                    f"{event.get_kind_display()} admission on "
                    f"{admissions.day_display(event.admitted_on)} recorded for "
                    f"{patient.full_name} ({patient.nhs_number_display}).",
                )
                return redirect("reports:admissions")
        else:
            status = 422
    context = _page_context(request, network, manual=manual)
    return render(request, "reports/admissions.html", context, status=status)


@member_required
@require_POST
def admissions_check_view(request):
    """Upload a CSV and check every row; then the check result (a redirect). A file that
    cannot be read is an error on the upload form (the form alone for htmx)."""
    network = _admissions_network(request)
    if network is None:
        return _forbidden(request, _refusal(current_membership(request)))
    upload = AdmissionUploadForm(request.POST, request.FILES)
    if upload.is_valid():
        file = upload.cleaned_data["file"]
        try:
            checked = admissions.admissions_check(
                network=network, filename=file.name, data=file.read(), by=request.user
            )
        except ValidationError as exc:
            add_service_errors(upload, exc)
        else:
            url = reverse("reports:admission_import", args=[checked.pk])
            if request.htmx:
                return HttpResponseClientRedirect(url)
            return redirect(url)
    if request.htmx:
        response = render(
            request, "reports/admissions.html#upload", {"upload_form": upload}, status=422
        )
    else:
        context = _page_context(request, network, upload=upload)
        response = render(request, "reports/admissions.html", context, status=422)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _import_for(request, pk: int) -> AdmissionImport:
    """The import if it is in one of the user's networks (else 404); NotAllowed if their
    role there does not record admissions."""
    found = (
        AdmissionImport.objects.filter(pk=pk, network_id__in=list(active_memberships(request.user)))
        .select_related("network", "uploaded_by")
        .first()
    )
    if found is None:
        raise Http404
    if not admissions.may_record_admissions(request.user, found.network_id):
        raise NotAllowed(_refusal(active_memberships(request.user)[found.network_id]))
    return found


def _rows_page(request, rows: list, param: str):
    return Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get(param))


def _with_people(request, checked: AdmissionImport, bad_page, good_page) -> tuple[list, list]:
    """The rows shown, each with its person (one query), and those people to the trail."""
    ids = {r["patient_id"] for r in [*bad_page, *good_page] if r.get("patient_id")}
    people = {p.pk: p for p in Patient.objects.filter(network=checked.network, pk__in=ids)}
    access_record(
        user=request.user,
        patients=list(people.values()),
        what="admissions_import",
        channel="page",
        path=request.get_full_path(),
    )

    def rows(page):
        return [{**r, "patient": people.get(r.get("patient_id"))} for r in page]

    good = [{**r, "admitted": date.fromisoformat(r["admitted_on"])} for r in rows(good_page)]
    return rows(bad_page), good


def _import_page(request, checked: AdmissionImport, *, status: int = 200, problem: str = ""):
    bad_page = _rows_page(request, checked.bad_rows, "bad")
    good_page = _rows_page(request, checked.good_rows, "good")
    bad_rows, good_rows = _with_people(request, checked, bad_page, good_page)
    context = {
        "checked": checked,
        "good_count": len(checked.good_rows),
        "bad_count": len(checked.bad_rows),
        "bad_page": bad_page,
        "good_page": good_page,
        "bad_rows": bad_rows,
        "good_rows": good_rows,
        "problem": problem,
        "undecided": checked.status == AdmissionImport.Status.CHECKED,
    }
    return render(request, "reports/admissions_import.html", context, status=status)


@member_required
@require_GET
def admission_import_view(request, pk: int):
    """The check result: how many rows are good, bad or already recorded, each bad row by
    its line number, and the decision (nothing is saved until a button is pressed)."""
    try:
        checked = _import_for(request, pk)
    except NotAllowed as exc:
        return _forbidden(request, exc.message)
    return _import_page(request, checked)


def _decide(request, pk: int, decide):
    try:
        checked = _import_for(request, pk)
        decided = decide(checked)
    except NotAllowed as exc:
        return _forbidden(request, exc.message)
    except Conflict as exc:  # a second click, or someone else decided first
        checked.refresh_from_db()
        return _import_page(request, checked, status=409, problem=exc.message)
    except ValidationError as exc:
        return _import_page(request, checked, status=422, problem=" ".join(exc.messages))
    return decided


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _was(n: int) -> str:
    return "was" if n == 1 else "were"


@member_required
@require_POST
def admission_import_do_view(request, pk: int):
    """Import the checked file: all of it, or (when some rows are bad) only the good rows
    if the user chose that button."""
    only_good = request.POST.get("good_rows_only") == "1"
    result = _decide(
        request,
        pk,
        lambda checked: admissions.admissions_import(
            admission_import=checked, by=request.user, include_good_rows_only=only_good
        ),
    )
    if not isinstance(result, AdmissionImport):
        return result
    text = f"Imported {_count(result.imported, 'admission')}."
    if result.duplicates:
        text += f" {result.duplicates} already recorded {_was(result.duplicates)} skipped."
    if result.bad_rows:
        bad = len(result.bad_rows)
        text += f" {_count(bad, 'row')} with errors {_was(bad)} not imported."
    messages.success(request, text)
    return redirect("reports:admission_import", pk=result.pk)


@member_required
@require_POST
def admission_import_discard_view(request, pk: int):
    """Discard the checked file: nothing from it is imported."""
    result = _decide(
        request,
        pk,
        lambda checked: admissions.admissions_discard(admission_import=checked, by=request.user),
    )
    if not isinstance(result, AdmissionImport):
        return result
    messages.success(request, f"{result.filename} discarded: nothing from it was imported.")
    return redirect("reports:admissions")
