"""Adding a network's people from a CSV file on a page (API.md 1.1: the API's import):
upload, see every row's result, then import. The preview saves nothing; the confirmation
carries the previewed file's text, signed, so the file imported is the file previewed, and
the import runs every check again (a row may have changed meanwhile)."""

from django.contrib import messages
from django.core import signing
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from audit.services import access_record
from core.csv_upload import CsvProblems
from networks.access import member_required
from networks.current import current_membership
from networks.models import Network

from . import services
from .forms import PatientImportForm

SALT = "patients.import"
# How long a preview may be confirmed: after that, the file is checked again.
PREVIEW_MAX_AGE = 60 * 60
# Rows shown in a preview without errors (the counts cover all of them).
PREVIEW_ROWS = 200
EXPIRED = (
    "This check has expired or was changed (a check can be imported within an hour): "
    "choose the file again."
)


def _forbidden(request, message: str):
    return render(request, "403.html", {"message": message}, status=403)


def _record(request, result: services.ImportResult, what: str) -> None:
    access_record(
        user=request.user,
        patients=[r.patient for r in result.rows if r.patient and r.patient.pk],
        what=what,
        channel="page",
        path=request.path,
    )


def _page(request, network: Network, *, form=None, result=None, payload="", problem=""):
    errors = result.errors if result is not None else []
    shown = []
    if result is not None:
        shown = [r for r in result.rows if r.errors] if errors else result.rows[:PREVIEW_ROWS]
    context = {
        "network": network,
        "form": form or PatientImportForm(),
        "help": services.IMPORT_HELP,
        "result": result,
        "errors": errors,
        "shown": shown,
        "hidden_rows": (len(result.rows) - len(shown)) if result is not None and not errors else 0,
        "payload": payload,
        "problem": problem,
    }
    failed = bool(problem or errors or (form is not None and form.errors))
    return render(request, "patients/import.html", context, status=422 if failed else 200)


@member_required
@require_http_methods(["GET", "POST"])
def patient_import_view(request):
    """GET: the upload form. POST with a file: check every row and show the result (nothing
    saved). POST with the signed `payload` of a check: import it."""
    network = current_membership(request).network
    if not request.user.has_perm("patients.add_patient", network):
        return _forbidden(request, "Your role may not add people.")
    if request.method == "GET":
        return _page(request, network)
    if "payload" in request.POST:
        return _confirm(request, network)
    form = PatientImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, network, form=form)
    result = services.patients_import(
        network=network, rows=form.rows, by=request.user, dry_run=True
    )
    _record(request, result, "import_check")
    payload = ""
    if not result.errors:
        payload = signing.dumps(
            {"network": network.pk, "user": request.user.pk, "text": form.text},
            salt=SALT,
            compress=True,
        )
    return _page(request, network, result=result, payload=payload)


def _confirm(request, network: Network):
    try:
        checked = signing.loads(request.POST["payload"], salt=SALT, max_age=PREVIEW_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one
        return _page(request, network, problem=EXPIRED)
    if checked.get("network") != network.pk or checked.get("user") != request.user.pk:
        return _page(request, network, problem=EXPIRED)
    try:
        rows = services.patients_csv_rows(checked["text"])
    except CsvProblems:  # it was read when checked: only a changed reader gets here
        return _page(request, network, problem=EXPIRED)
    result = services.patients_import(network=network, rows=rows, by=request.user, dry_run=False)
    if result.errors:  # something changed since the check: show what, nothing saved
        _record(request, result, "import_check")
        return _page(request, network, result=result)
    _record(request, result, "import")
    counts = result.counts
    messages.success(
        request,
        f"Imported: {counts['created']} added, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged.",
    )
    return redirect("patients:list")
