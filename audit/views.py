"""The access trail pages: the network-wide trail with filters, and its CSV export. Both
are themselves written to the trail (one event per network read, no patient)."""

import csv
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from networks.access import member_required
from networks.roles import TRAIL_ROLES
from networks.selectors import active_memberships

from .filters import AccessEventFilter
from .selectors import access_trail, trail_network_ids
from .services import network_access_record

PER_PAGE = 50
CSV_HEADER = [
    "When",
    "Username",
    "Role",
    "Network",
    "Person id",
    "Family name",
    "Given name",
    "NHS number",
    "Asked for",
    "What",
    "How",
    "Outcome",
    "Address",
]


def _scope(request):
    """(network ids, filterset) for the request, or raises 403/404."""
    ids = trail_network_ids(request.user, request.GET.get("network", "").strip())
    filterset = AccessEventFilter(request.GET, queryset=access_trail(ids), request=request)
    return ids, filterset


def _refused(request, exc):
    return render(request, "403.html", {"message": str(exc)}, status=403)


@member_required
@require_GET
def network_access_log_view(request):
    try:
        ids, filterset = _scope(request)
    except PermissionDenied as exc:
        return _refused(request, exc)
    networks = [
        (m.network.slug, m.network.name)
        for m in sorted(active_memberships(request.user).values(), key=lambda m: m.network.name)
        if m.role in TRAIL_ROLES
    ]
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    context = {
        "filter": filterset,
        "form": filterset.form,
        "networks": networks,
        "network": request.GET.get("network", ""),
        "query": f"{query}&" if query else "",
        "export_query": query,
    }
    if not filterset.is_valid():
        return render(request, "audit/log.html", context, status=422)
    # Recorded first: a page counted before the insert and read after it would lose a row.
    network_access_record(
        user=request.user,
        network_ids=ids,
        what="access_trail",
        channel="page",
        path=request.get_full_path(),
    )
    page = Paginator(filterset.qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "audit/log.html", {**context, "page": page})


def _cell(value) -> str:
    """A spreadsheet must not run what a user typed: cells starting as a formula are quoted."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


class _Echo:
    def write(self, value):
        return value


@member_required
@require_GET
def access_trail_export_view(request):
    try:
        ids, filterset = _scope(request)
    except PermissionDenied as exc:
        return _refused(request, exc)
    if not filterset.is_valid():
        return render(
            request,
            "audit/log.html",
            {"form": filterset.form, "filter": filterset, "networks": [], "query": ""},
            status=422,
        )
    network_access_record(
        user=request.user,
        network_ids=ids,
        what="access_trail",
        channel="export",
        path=request.get_full_path(),
    )
    rows = filterset.qs.values_list(
        "at",
        "username",
        "role",
        "network__slug",
        "patient_id",
        "patient__family_name",
        "patient__given_name",
        "patient__nhs_number",
        "patient_ref",
        "what",
        "channel",
        "outcome",
        "path",
    )
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(CSV_HEADER)
        for row in rows.iterator(chunk_size=2000):
            at = timezone.localtime(row[0]).strftime("%Y-%m-%d %H:%M:%S")
            yield writer.writerow([at, *(_cell(v) for v in row[1:])])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="access-trail-{stamp}.csv"'
    return response
