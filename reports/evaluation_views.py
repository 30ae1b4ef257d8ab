"""The evaluation page (/reports/evaluation/, issue #19): for one network the user reports on
(chair, integrated manager, manager or commissioner) and a period, the MDT's estimate, before
and after, and the matched comparison as tables, each with its caveats in words beside it
(reports/evaluation.py). Counts only: no person is named, so nothing is written to the access
trail."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.replica import reads_from_replica
from networks.access import member_required
from networks.roles import REPORT_ROLES
from networks.selectors import active_memberships

from .api import parse_period
from .evaluation import evaluation

REFUSED = "The evaluation is for the chair, managers and commissioners of a network."


def _refuse(request, message: str):
    return render(request, "403.html", {"message": message}, status=403)


@member_required
@require_GET
@reads_from_replica
def evaluation_view(request):
    memberships = {m.network.slug: m for m in active_memberships(request.user).values()}
    reporting = sorted(
        (m.network for m in memberships.values() if m.role in REPORT_ROLES), key=lambda n: n.name
    )
    slug = request.GET.get("network", "")
    if slug and slug not in memberships:
        raise Http404  # never say whether a network the caller is not in exists
    if not reporting or (slug and slug not in {n.slug for n in reporting}):
        return _refuse(request, REFUSED)
    network = next((n for n in reporting if n.slug == slug), reporting[0])
    first, last, errors = parse_period(request.GET.get("from", ""), request.GET.get("to", ""))
    context = {
        "networks": reporting,
        "network": network,
        "values": {"from": request.GET.get("from", ""), "to": request.GET.get("to", "")},
    }
    if errors:
        return render(request, "reports/evaluation.html", context | {"errors": errors}, status=422)
    today = timezone.localdate()
    context["values"] = {"from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}"}
    context |= {
        "first": first,
        "last": last,
        "today": today,
        "figures": evaluation(network.pk, first, last, today),
    }
    return render(request, "reports/evaluation.html", context)
