"""The manager dashboard (/reports/), the people behind its numbers (/reports/people/) and
the CSV export of each table (/reports/export/<table>.csv).

Who: chairs, integrated managers and managers, for the networks where they hold one of those
roles. Numbers open the people behind them only for roles that may open records (chair and
integrated manager: `patients.view_patient`); managers see the figures alone. Every export
is audited: a person per row for the people list, one event per network for figures."""

import csv
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from audit.services import access_record, report_export_record
from core.replica import reads_from_replica
from networks.access import member_required
from networks.roles import REPORT_ROLES
from networks.selectors import active_memberships

from .compare_api import comparison_networks
from .drilldown import BadDrilldown, clean_params, describe, people_behind
from .figures import Scope, dashboard_with_services
from .forms import DashboardFilterForm, period_in_words
from .tables import (
    Table,
    build_tables,
    charts,
    referral_parts,
    scope_service_labels,
    service_label,
)

PER_PAGE = 50
TABLES = (
    "admissions_avoided",
    "after_discharge",
    "goals",
    "referrals",
    "triage",
    "service_waits",
    "caseload",
    "visits",
    "red_flags",
    "meetings",
    "actions",
)
REFUSED = "Reports are for the chair, integrated managers and managers of a network."
NO_PEOPLE = (
    "Only the chair and integrated managers, who may open people\u2019s records, see the people "
    "behind the numbers."
)


@dataclass
class Filters:
    """The filters of one request, checked: the form, the scope it gives, and words for it."""

    form: DashboardFilterForm
    scope: Scope
    memberships: list  # the user's memberships in the networks reported on
    reporting: list  # every network the user reports on

    @property
    def networks(self) -> list:
        return [m.network for m in self.memberships]

    @property
    def networks_in_words(self) -> str:
        names = [n.name for n in self.networks]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    @property
    def period_in_words(self) -> str:
        return period_in_words(self.scope.first, self.scope.last)

    def term(self, key: str, default: str) -> str:
        """The network's own word when one network is shown; a neutral one across several."""
        networks = self.networks
        return networks[0].terms.get(key, default) if len(networks) == 1 else default

    def params(self, service: str | None = None) -> list[tuple[str, str]]:
        """The filters as query parameters (networks only when narrowed)."""
        params = []
        if len(self.memberships) < len(self.reporting):
            params += [("network", n.slug) for n in self.networks]
        params += [("from", f"{self.scope.first:%Y-%m}"), ("to", f"{self.scope.last:%Y-%m}")]
        service = self.scope.service if service is None else service
        if service:
            params.append(("service", service))
        return params

    def query(self, **drill) -> str:
        service = drill.pop("service", None)
        return urlencode(self.params(service) + list(drill.items()))

    def file_name(self, table: str) -> str:
        slugs = [n.slug for n in self.networks]
        where = "_".join(slugs) if len(slugs) <= 3 else f"{len(slugs)}-networks"
        period = f"{self.scope.first:%Y-%m}-to-{self.scope.last:%Y-%m}"
        service = f"-{self.scope.service}" if self.scope.service else ""
        return f"icn-{table.replace('_', '-')}-{where}-{period}{service}.csv"


def _refuse(request, message: str):
    return render(request, "403.html", {"message": message}, status=403)


def _filters(request) -> Filters | None:
    """The request's filters, or None when the user reports on no network. A network slug
    the user does not report on is a 404, whether or not it exists."""
    reporting = sorted(
        (m for m in active_memberships(request.user).values() if m.role in REPORT_ROLES),
        key=lambda m: m.network.name,
    )
    if not reporting:
        return None
    by_slug = {m.network.slug: m for m in reporting}
    if any(slug not in by_slug for slug in request.GET.getlist("network")):
        raise Http404("No such network among those you report on.")
    form = DashboardFilterForm(
        request.GET,
        networks=[(m.network.slug, m.network.name) for m in reporting],
        services=scope_service_labels(m.network_id for m in reporting),
    )
    scope = form.scope({slug: m.network_id for slug, m in by_slug.items()})
    memberships = [m for m in reporting if m.network_id in scope.network_ids]
    return Filters(form, scope, memberships, reporting)


def _may_see_people(user, filters: Filters) -> bool:
    """Only where the user may open records, in every network reported on."""
    return all(user.has_perm("patients.view_patient", n) for n in filters.networks)


# --- the dashboard -------------------------------------------------------------------------------


@member_required
@require_GET
@reads_from_replica
def dashboard_view(request):
    filters = _filters(request)
    if filters is None:
        return _refuse(request, REFUSED)
    figures = dashboard_with_services(filters.scope)
    meetings = filters.term("meetings", "meetings")
    labels = filters.form.services
    tables = build_tables(figures, meetings=meetings, labels=labels)
    may_see_people = _may_see_people(request.user, filters)
    if may_see_people:
        people_url = reverse("reports:people")
        for table in tables.values():
            for row in table.rows + table.foot:
                for cell in row:
                    if cell.drill:
                        cell.href = f"{people_url}?{filters.query(**cell.drill)}"
    query = filters.query()
    exports = {key: f"{reverse('reports:export', args=[key])}?{query}" for key in TABLES}
    context = {
        "filters": filters,
        "form": filters.form,
        "scope": filters.scope,
        "service_label": (
            service_label(filters.scope.service, labels) if filters.scope.service else ""
        ),
        "tables": tables,
        "referral_parts": referral_parts(tables["referrals"]),
        "charts": charts(figures, meetings=meetings, labels=labels),
        "exports": exports,
        "may_see_people": may_see_people,
        "meetings_word": meetings,
        "several": len(filters.reporting) > 1,
        "may_compare": bool(comparison_networks(request.user)),
    }
    status = 422 if filters.form.errors else 200
    return render(request, "reports/dashboard.html", context, status=status)


# --- the people behind a number ------------------------------------------------------------------


def _people_request(request) -> tuple[Filters, str, dict] | HttpResponse:
    """Checks shared by the people list and its export: the user may see people in every
    network reported on, and the link names a number."""
    filters = _filters(request)
    if filters is None:
        return _refuse(request, REFUSED)
    if not _may_see_people(request.user, filters):
        return _refuse(request, NO_PEOPLE)
    metric = request.GET.get("metric", "")
    try:
        if filters.form.errors:
            raise BadDrilldown("The filters are not valid.")
        params = clean_params(filters.scope, metric, request.GET)
    except BadDrilldown as error:
        return render(
            request,
            "reports/people.html",
            {"problem": str(error), "back": f"{reverse('reports:dashboard')}?{filters.query()}"},
            status=422,
        )
    return filters, metric, params


@member_required
@require_GET
@reads_from_replica
def people_view(request):
    checked = _people_request(request)
    if isinstance(checked, HttpResponse):
        return checked
    filters, metric, params = checked
    people = people_behind(filters.scope, metric, params)
    page = Paginator(people, PER_PAGE).get_page(request.GET.get("page"))
    access_record(
        user=request.user,
        patients=page.object_list,
        what="report_people",
        channel="page",
        path=request.get_full_path(),
    )
    query = filters.query(metric=metric, **params)
    context = {
        "filters": filters,
        "scope": filters.scope,
        "description": describe(filters.scope, metric, params, filters.term("meeting", "meeting")),
        "service_label": (
            service_label(filters.scope.service, filters.form.services)
            if filters.scope.service
            else ""
        ),
        "page": page,
        "query": query,
        "back": f"{reverse('reports:dashboard')}?{filters.query()}",
        "export": f"{reverse('reports:export', args=['people'])}?{query}",
        "several": len(filters.networks) > 1,
    }
    return render(request, "reports/people.html", context)


# --- CSV exports ---------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str | int | float:
    """A cell as text a spreadsheet will not run as a formula (OWASP CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _csv_response(rows, file_name: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["Cache-Control"] = "no-store"
    response.write("\ufeff")  # so that Excel reads UTF-8 (names, dashes)
    writer = csv.writer(response)
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])
    return response


@member_required
@require_GET
@reads_from_replica
def export_view(request, table: str):
    if table == "people":
        return _export_people(request)
    if table not in TABLES:
        raise Http404("No such table.")
    filters = _filters(request)
    if filters is None:
        return _refuse(request, REFUSED)
    if filters.form.errors:
        return HttpResponse(
            "The filters are not valid: "
            + "; ".join(
                f"{name}: {' '.join(errors)}" for name, errors in filters.form.errors.items()
            ),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    meetings = filters.term("meetings", "meetings")
    chosen: Table = build_tables(
        dashboard_with_services(filters.scope), meetings=meetings, labels=filters.form.services
    )[table]
    report_export_record(
        user=request.user,
        network_ids=filters.scope.network_ids,
        what=f"report_export:{table}",
        path=request.get_full_path(),
    )
    return _csv_response(chosen.csv_rows(), filters.file_name(table))


def _export_people(request) -> HttpResponse:
    checked = _people_request(request)
    if isinstance(checked, HttpResponse):
        return checked
    filters, metric, params = checked
    people = list(people_behind(filters.scope, metric, params))
    access_record(
        user=request.user,
        patients=people,
        what="report_people",
        channel="export",
        path=request.get_full_path(),
    )
    description = describe(filters.scope, metric, params, filters.term("meeting", "meeting"))
    rows = [["Family name", "Given name", "NHS number", "Date of birth", "Network", "Listed as"]]
    rows += [
        [
            p.family_name,
            p.given_name,
            p.nhs_number_display,
            p.date_of_birth.isoformat() if p.date_of_birth else "",
            p.network.name,
            description,
        ]
        for p in people
    ]
    return _csv_response(rows, filters.file_name(f"people-{metric}"))
