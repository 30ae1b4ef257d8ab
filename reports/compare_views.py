"""Networks side by side (/reports/networks/, issue #19): each agreed metric's funnel plot and
its table, the outliers named, and the monthly trend per service, for commissioners and
managers of several networks (reports/compare.py has the figures, reports/funnel_chart.py
draws them)."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.replica import reads_from_replica
from networks.access import member_required

from .api import parse_period
from .compare import METRICS, compare, trend
from .compare_api import ONE_NETWORK, comparison_networks
from .figures import Scope
from .funnel_chart import funnel_chart, trend_chart
from .tables import scope_service_labels, service_label


def _refuse(request, message: str, status: int = 403):
    return render(request, "403.html", {"message": message}, status=status)


def trend_table(comparison, scope: Scope, service: str) -> dict:
    """Referrals per month per network (all services, or one), and per 1,000 of the network's
    mean registered population over the period where it is known: rows for the table, and
    the chart of the networks with a population (counts and rates are not drawn together)."""
    months = scope.months()
    counted: dict[int, dict[str, int]] = {}
    for row in trend(scope, service):
        by_month = counted.setdefault(row["network_id"], {})
        by_month[row["month"]] = by_month.get(row["month"], 0) + row["referrals"]
    rows, series = [], []
    for network in comparison.networks:
        population = comparison.counts[network.pk]["population"]
        numbers = [counted.get(network.pk, {}).get(m, 0) for m in months]
        rates = None if not population else [n * 1000 / population for n in numbers]
        cells = zip(months, numbers, rates or [None] * len(months), strict=True)
        rows.append({"network": network, "population": population, "cells": list(cells)})
        if rates is not None:
            series.append({"name": network.name, "values": rates})
    unknown = [r["network"].name for r in rows if not r["population"]]
    return {
        "months": months,
        "rows": rows,
        "chart": trend_chart(months, series),
        "unknown": unknown,
    }


@member_required
@require_GET
@reads_from_replica
def networks_view(request):
    memberships = comparison_networks(request.user)
    if not memberships:
        return _refuse(request, ONE_NETWORK)
    ids = tuple(sorted(m.network_id for m in memberships))
    first, last, errors = parse_period(request.GET.get("from", ""), request.GET.get("to", ""))
    labels = scope_service_labels(ids)
    service = request.GET.get("service", "")
    if service and service not in labels:
        errors["service"] = ["Choose a service from the list."]
    if errors:
        return render(
            request,
            "reports/networks.html",
            {"errors": errors, "values": request.GET, "services": labels},
            status=422,
        )
    scope = Scope(ids, first, last, service)
    comparison = compare(scope, timezone.localdate())
    names = {network.pk: network.name for network in comparison.networks}
    metrics = [
        {
            "metric": metric,
            "mean": comparison.funnels[metric.code].mean,
            "chart": funnel_chart(comparison.funnels[metric.code], names),
            "rows": [
                (network, comparison.point(metric.code, network.pk))
                for network in comparison.networks
            ],
        }
        for metric in METRICS
    ]
    return render(
        request,
        "reports/networks.html",
        {
            "scope": scope,
            "comparison": comparison,
            "metrics": metrics,
            "outliers": comparison.outliers(),
            "trend": trend_table(comparison, scope, service),
            "services": labels,
            "service_label": service_label(service or "all", labels),
            "values": {"from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}", "service": service},
        },
    )
