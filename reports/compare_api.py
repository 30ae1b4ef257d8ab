"""Networks side by side (issue #19): `GET /api/v1/reports/networks/` and its monthly trend
per service, `GET /api/v1/reports/networks/trend/`, for commissioners and managers of several
networks (reports/compare.py has the figures)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ScopedAPIMixin
from core.replica import reads_from_replica
from networks.roles import COMPARE_ROLES, Role
from networks.selectors import active_memberships

from .api import PERIOD, parse_period
from .compare import METRICS, Comparison, compare, trend
from .figures import Scope
from .stats import FunnelPoint
from .tables import scope_service_labels

ONE_NETWORK = "Comparing networks is for commissioners, and for managers of two or more networks."


def comparison_networks(user) -> list:
    """The memberships whose networks the user compares: every network they commission, and
    those they manage (integrated manager or manager) when they manage two or more, or
    commission any. Empty when they may not compare networks."""
    memberships = [m for m in active_memberships(user).values() if m.role in COMPARE_ROLES]
    commissions = any(m.role == Role.COMMISSIONER for m in memberships)
    if not commissions and len(memberships) < 2:
        return []
    return memberships


def comparison_scope(user, start: str, end: str, service: str = "") -> Scope:
    """The networks the user compares for the period (403 if none; field errors as a
    ValidationError)."""
    memberships = comparison_networks(user)
    if not memberships:
        raise exceptions.PermissionDenied(ONE_NETWORK)
    first, last, errors = parse_period(start, end)
    if service and service not in scope_service_labels(m.network_id for m in memberships):
        errors["service"] = [f"Unknown service {service!r} in these networks."]
    if errors:
        raise ValidationError(errors)
    return Scope(tuple(sorted(m.network_id for m in memberships)), first, last, service)


def _pair(limits) -> list[float] | None:
    return None if limits is None else [round(limits[0], 3), round(limits[1], 3)]


def _round(value: float | None, places: int = 3) -> float | None:
    return None if value is None else round(value, places)


def point_json(point: FunnelPoint, mean: float | None) -> dict:
    return {
        "value": _round(point.value),
        "numerator": point.numerator,
        "denominator": _round(point.denominator),
        "mean": _round(mean),
        "limits": {"95": _pair(point.limits95), "99.8": _pair(point.limits998)},
        "outlier": point.outlier,
    }


def comparison_json(comparison: Comparison) -> list[dict]:
    """Per network, as API.md says, with every metric's funnel point under `funnels`."""
    out = []
    for network in comparison.networks:
        row = comparison.counts[network.pk]
        referrals = comparison.point("referrals_per_1000", network.pk)
        population = row["population"]
        out.append(
            {
                "network": network.slug,
                "name": network.name,
                "population": None if population is None else round(population),
                "referrals": row["referrals"],
                "referrals_per_1000": _round(referrals.value, 2),
                "admissions_avoided": row["admissions_avoided"],
                "admissions_avoided_per_1000": _round(
                    comparison.point("admissions_avoided_per_1000", network.pk).value, 2
                ),
                "discharged": row["discharged"],
                "admissions_after_discharge_per_100": _round(
                    comparison.point("admissions_after_discharge_per_100", network.pk).value, 1
                ),
                "median_working_days_to_triage": row["median_working_days_to_triage"],
                "triaged_within_2_per_100": _round(
                    comparison.point("triaged_within_2_per_100", network.pk).value, 1
                ),
                "caseload": row["caseload"],
                "caseload_per_1000": _round(
                    comparison.point("caseload_per_1000", network.pk).value, 2
                ),
                "goals_met_per_100": _round(
                    comparison.point("goals_met_per_100", network.pk).value, 1
                ),
                "limits": point_json(referrals, None)["limits"],
                "outlier": referrals.outlier,
                "funnels": {
                    metric.code: point_json(
                        comparison.point(metric.code, network.pk),
                        comparison.funnels[metric.code].mean,
                    )
                    for metric in METRICS
                },
            }
        )
    return out


LIMITS = inline_serializer(
    "FunnelLimits",
    {
        "95": serializers.ListField(child=serializers.FloatField(), allow_null=True),
        "99.8": serializers.ListField(child=serializers.FloatField(), allow_null=True),
    },
)
POINT = inline_serializer(
    "FunnelPoint",
    {
        "value": serializers.FloatField(allow_null=True),
        "numerator": serializers.FloatField(),
        "denominator": serializers.FloatField(),
        "mean": serializers.FloatField(allow_null=True, help_text="The system mean."),
        "limits": LIMITS,
        "outlier": serializers.ChoiceField(choices=["high", "low"], allow_null=True),
    },
)
NETWORK_ROW = inline_serializer(
    "NetworkComparison",
    {
        "network": serializers.SlugField(),
        "name": serializers.CharField(),
        "population": serializers.IntegerField(
            allow_null=True,
            help_text="Mean registered population over the period's months with figures.",
        ),
        "referrals": serializers.IntegerField(),
        "referrals_per_1000": serializers.FloatField(allow_null=True),
        "admissions_avoided": serializers.IntegerField(help_text="The MDT's own estimate."),
        "admissions_avoided_per_1000": serializers.FloatField(allow_null=True),
        "discharged": serializers.IntegerField(),
        "admissions_after_discharge_per_100": serializers.FloatField(allow_null=True),
        "median_working_days_to_triage": serializers.FloatField(allow_null=True),
        "triaged_within_2_per_100": serializers.FloatField(allow_null=True),
        "caseload": serializers.IntegerField(),
        "caseload_per_1000": serializers.FloatField(allow_null=True),
        "goals_met_per_100": serializers.FloatField(allow_null=True),
        "limits": LIMITS,
        "outlier": serializers.ChoiceField(choices=["high", "low"], allow_null=True),
        "funnels": serializers.DictField(child=POINT),
    },
    many=True,
)


class NetworksComparisonView(ScopedAPIMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Networks side by side, with funnel-plot control limits.",
        description=(
            "For every network the caller commissions (or manages, when two or more): the "
            "agreed metrics for the period, each with its funnel point: the value, the system "
            "mean, the 95% and 99.8% control limits at the network's own denominator, and "
            "`outlier` (`high`/`low` beyond the 99.8% limits). `limits` and `outlier` at the "
            "top level are those of referrals per 1,000. Per-1,000 figures are null where "
            "the network has no registered population for the period. Commissioners, and "
            "integrated managers and managers of several networks; others 403."
        ),
        parameters=PERIOD,
        responses={200: NETWORK_ROW},
    )
    @reads_from_replica
    def get(self, request):
        params = request.query_params
        scope = comparison_scope(request.user, params.get("from", ""), params.get("to", ""))
        today: date = timezone.localdate()
        return Response(comparison_json(compare(scope, today)))


TREND_ROW = inline_serializer(
    "ServiceTrend",
    {
        "network": serializers.SlugField(),
        "service": serializers.CharField(),
        "month": serializers.CharField(help_text="YYYY-MM, Europe/London"),
        "referrals": serializers.IntegerField(),
    },
    many=True,
)


class NetworksTrendView(ScopedAPIMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Referrals per month per network and service.",
        description=(
            "The monthly trend behind networks side by side (e.g. referrals to the pharmacist "
            "before and after a change): one row per network, service and month with any "
            "referral. The same callers as /api/v1/reports/networks/."
        ),
        parameters=[
            *PERIOD,
            OpenApiParameter("service", OpenApiTypes.STR, description="A service code."),
        ],
        responses={200: TREND_ROW},
    )
    @reads_from_replica
    def get(self, request):
        params = request.query_params
        scope = comparison_scope(
            request.user, params.get("from", ""), params.get("to", ""), params.get("service", "")
        )
        slugs = {m.network_id: m.network.slug for m in comparison_networks(request.user)}
        rows = trend(scope, scope.service)
        return Response([{"network": slugs[row.pop("network_id")], **row} for row in rows])
