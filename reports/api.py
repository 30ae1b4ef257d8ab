"""Reports API: the API.md admissions-avoided endpoint, and every dashboard figure."""

from datetime import date

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import access_record
from core.api import ScopedAPIMixin
from core.replica import reads_from_replica
from networks.models import Network
from networks.roles import CLINICAL_ROLES, REPORT_ROLES
from networks.selectors import active_memberships

from .case_finding import case_finding
from .case_finding import reasons as case_finding_reasons
from .figures import Scope, admissions_avoided, dashboard_with_services, parse_month
from .tables import scope_service_labels

MAX_MONTHS = 36  # as the dashboard page


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last twelve months, this one included."""
    today = today or timezone.localdate()
    last = today.replace(day=1)
    first = date(last.year - 1 + (last.month == 12), last.month % 12 + 1, 1)
    return first, last


def parse_period(start: str, end: str) -> tuple[date, date, dict[str, list[str]]]:
    """`from` and `to` (YYYY-MM, either may be empty: the last twelve months) as the first
    days of the first and last months, and the field errors (bad month, backwards, too
    long)."""
    errors: dict[str, list[str]] = {}
    first, last = default_period()
    for name, text in (("from", start), ("to", end)):
        if not text:
            continue
        try:
            month = parse_month(text)
        except ValueError:
            errors[name] = ["Give a month as YYYY-MM, for example 2026-04."]
            continue
        first, last = (month, last) if name == "from" else (first, month)
    if not errors:
        if first > last:
            errors["to"] = ["The last month cannot be before the first."]
        elif (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
            errors["to"] = [f"Ask for at most {MAX_MONTHS} months at a time."]
    return first, last, errors


def network_scope(request) -> Scope:
    """The scope of a request naming one network (`network`, required) and a period (`from`,
    `to`), for the endpoints that report on one network."""
    slug = request.query_params.get("network", "")
    if not slug:
        raise ValidationError({"network": ["Give the network's slug."]})
    params = request.query_params
    return resolve_scope(request.user, [slug], params.get("from", ""), params.get("to", ""))


def resolve_scope(
    user, slugs: list[str], start: str, end: str, service: str = "", roles=REPORT_ROLES
) -> Scope:
    """The networks the user may report on (chair, integrated manager, manager or
    commissioner there; `roles` narrows it, e.g. to those who may write), narrowed to `slugs`
    if given; a network outside the user's is 404, one where their role does not report is
    403. Bad months or service: ValidationError with field messages."""
    memberships = {m.network.slug: m for m in active_memberships(user).values()}
    reporting = {slug: m for slug, m in memberships.items() if m.role in roles}
    if any(slug not in memberships for slug in slugs):
        raise Http404  # never say whether a network the caller is not in exists
    if not reporting:
        raise exceptions.PermissionDenied("Reports are for chairs and managers.")
    if slugs:
        for slug in slugs:
            if slug not in reporting:
                raise exceptions.PermissionDenied(
                    "Reports are for chairs and managers of the network."
                )
        chosen = [reporting[s] for s in slugs]
    else:
        chosen = list(reporting.values())
    first, last, errors = parse_period(start, end)
    if service and service not in scope_service_labels(m.network_id for m in chosen):
        errors["service"] = [f"Unknown service {service!r} in these networks."]
    if errors:
        raise ValidationError(errors)
    return Scope(tuple(sorted(m.network_id for m in chosen)), first, last, service)


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM, Europe/London")
    yes = serializers.IntegerField()
    no = serializers.IntegerField()
    unsure = serializers.IntegerField()


class AdmissionsAvoidedSerializer(serializers.Serializer):
    network = serializers.CharField()
    months = MonthSerializer(many=True)
    total_yes = serializers.IntegerField()
    basis = serializers.CharField(
        help_text="What the figure is: the MDT's own estimate, recorded at discharge."
    )


PERIOD = [
    OpenApiParameter("from", OpenApiTypes.STR, description="First month, YYYY-MM."),
    OpenApiParameter("to", OpenApiTypes.STR, description="Last month, YYYY-MM."),
]


class AdmissionsAvoidedView(ScopedAPIMixin, APIView):
    """ "Have we avoided an admission?" answered at discharge, per month (Europe/London). This
    is the MDT's own estimate; see /api/v1/reports/dashboard/ for admissions that actually
    followed. Chairs, integrated managers and managers of the network only."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("network", OpenApiTypes.STR, required=True, description="Slug."),
            *PERIOD,
        ],
        responses=AdmissionsAvoidedSerializer,
    )
    @reads_from_replica
    def get(self, request):
        scope = network_scope(request)
        months = admissions_avoided(scope)
        data = {
            "network": request.query_params["network"],
            "months": months,
            "total_yes": sum(m["yes"] for m in months),
            "basis": "The MDT's own estimate, recorded at discharge.",
        }
        return Response(AdmissionsAvoidedSerializer(data).data)


class DashboardView(ScopedAPIMixin, APIView):
    """Every dashboard figure for the networks (all the caller reports on, or those named),
    the period and optionally one service. Chairs, integrated managers and managers only."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "network", OpenApiTypes.STR, many=True, description="Slug; repeat for several."
            ),
            *PERIOD,
            OpenApiParameter("service", OpenApiTypes.STR, description="A service code."),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    @reads_from_replica
    def get(self, request):
        scope = resolve_scope(
            request.user,
            request.query_params.getlist("network"),
            request.query_params.get("from", ""),
            request.query_params.get("to", ""),
            request.query_params.get("service", ""),
        )

        return Response(
            {
                "networks": list(
                    Network.objects.filter(pk__in=scope.network_ids)
                    .order_by("slug")
                    .values_list("slug", flat=True)
                ),
                "from": f"{scope.first:%Y-%m}",
                "to": f"{scope.last:%Y-%m}",
                "service": scope.service or None,
                **dashboard_with_services(scope),
            }
        )


# --- case finding (issue #19) --------------------------------------------------------------------


def case_finding_network(user, slug: str) -> Network:
    """The network named by `slug` if the user holds a clinical role there (chair included):
    a network the user is not in is 404 (whether or not it exists), another role 403."""
    if not slug:
        raise ValidationError({"network": ["Give the network's slug."]})
    membership = next(
        (m for m in active_memberships(user).values() if m.network.slug == slug), None
    )
    if membership is None:
        raise Http404
    if membership.role not in CLINICAL_ROLES:
        raise exceptions.PermissionDenied("Case finding is for the chair and clinical roles.")
    return membership.network


class CaseFindingSerializer(serializers.Serializer):
    patient = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="full_name")
    nhs_number = serializers.CharField()
    score = serializers.IntegerField()
    reasons = serializers.SerializerMethodField()

    def get_reasons(self, person) -> list[str]:
        return case_finding_reasons(person)


@extend_schema(
    summary="People not on the caseload, ranked by a score that explains itself.",
    description=(
        "People of the network not on the MDT caseload, highest score first, each with the "
        "reasons that make the score (settings CASE_FINDING_WEIGHTS). Only people whose "
        "clinical detail the caller reads are listed. The chair and clinical roles of the "
        "network; a network you are not in is 404. Every person listed is recorded in the "
        "access trail (what: case_finding)."
    ),
    parameters=[
        OpenApiParameter("network", OpenApiTypes.STR, required=True, description="Slug."),
    ],
)
class CaseFindingView(ScopedAPIMixin, generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = CaseFindingSerializer
    filter_backends: list = []

    def get_queryset(self):
        user = self.request.user
        network = case_finding_network(user, self.request.query_params.get("network", ""))
        return case_finding(user, network)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        access_record(
            user=request.user,
            patients=page,
            what="case_finding",
            channel="api",
            path=request.get_full_path(),
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
