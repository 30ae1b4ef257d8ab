from django.core.paginator import Paginator
from django.shortcuts import render

from icn.core.access import member_required
from networks.roles import OVERSIGHT_ROLES
from networks.selectors import network_ids_where

from .selectors import access_events_visible_to


@member_required
def network_access_log_view(request):
    if not network_ids_where(request.user, OVERSIGHT_ROLES):
        return render(
            request,
            "403.html",
            {"message": "Only the chair and managers may see the access log."},
            status=403,
        )
    page = Paginator(access_events_visible_to(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "audit/log.html", {"page": page})
