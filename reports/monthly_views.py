"""The commissioner's monthly reports (/reports/monthly/, issue #19): their list and each one's
PDF and CSV (reports/monthly.py makes them). Commissioners only; a report is its owner's alone
(anyone else's is not found). Each download is recorded in the access trail as an export of
figures, one line per network reported on."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.services import report_export_record
from core.replica import reads_from_replica
from networks.access import member_required
from networks.models import Network
from networks.roles import Role
from networks.selectors import active_memberships

from .models import MonthlyReport

FOR_COMMISSIONERS = "The monthly report is for commissioners."


def _commissioner(user) -> bool:
    return any(m.role == Role.COMMISSIONER for m in active_memberships(user).values())


@member_required
@require_GET
@reads_from_replica
def monthly_view(request):
    if not _commissioner(request.user):
        return render(request, "403.html", {"message": FOR_COMMISSIONERS}, status=403)
    reports = list(MonthlyReport.objects.filter(user=request.user).defer("pdf", "csv"))
    ids = {pk for report in reports for pk in report.network_ids}
    names = dict(Network.objects.filter(pk__in=ids).values_list("pk", "name"))
    for report in reports:
        report.network_names = sorted(names[pk] for pk in report.network_ids if pk in names)
    return render(request, "reports/monthly.html", {"reports": reports})


CONTENT_TYPES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


@member_required
@require_GET
@reads_from_replica
def monthly_download_view(request, pk: int, kind: str):
    if not _commissioner(request.user):
        return render(request, "403.html", {"message": FOR_COMMISSIONERS}, status=403)
    row = (
        MonthlyReport.objects.filter(pk=pk, user=request.user)
        .values("month", "network_ids", kind)
        .first()
    )
    if row is None:
        raise Http404
    report = MonthlyReport(pk=pk, month=row["month"])
    report_export_record(
        user=request.user,
        network_ids=row["network_ids"],
        what=f"monthly_report:{kind}",
        path=request.get_full_path(),
    )
    response = HttpResponse(bytes(row[kind]), content_type=CONTENT_TYPES[kind])
    disposition = "inline" if kind == "pdf" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{report.file_name(kind)}"'
    response["Cache-Control"] = "private, no-store"
    return response
