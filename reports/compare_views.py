"""Networks side by side (/reports/networks/, issue #19): each agreed metric's funnel plot and
its table, for commissioners and managers of several networks (reports/compare.py)."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from networks.access import member_required

from .api import parse_period
from .compare import METRICS, compare
from .compare_api import ONE_NETWORK, comparison_networks
from .figures import Scope


def _refuse(request, message: str, status: int = 403):
    return render(request, "403.html", {"message": message}, status=status)


@member_required
@require_GET
def networks_view(request):
    memberships = comparison_networks(request.user)
    if not memberships:
        return _refuse(request, ONE_NETWORK)
    first, last, errors = parse_period(request.GET.get("from", ""), request.GET.get("to", ""))
    if errors:
        return render(
            request,
            "reports/networks.html",
            {"errors": errors, "values": request.GET},
            status=400,
        )
    scope = Scope(tuple(sorted(m.network_id for m in memberships)), first, last)
    comparison = compare(scope, timezone.localdate())
    metrics = [
        {
            "metric": metric,
            "mean": comparison.funnels[metric.code].mean,
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
            "values": {"from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}"},
        },
    )
