"""The case-finding page (/reports/case-finding/, issue #19): people of the current network not
on the caseload, ranked by a score with its reasons (reports/case_finding.py), for the chair
and clinical roles; the chair puts one on the next meeting's agenda in one step (the huddles'
own agenda service, so consent refused and "already on it" say what they always say).

Listing people is a read of each: every person on the page is recorded in the access trail
(what: case_finding)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from audit.services import access_record
from core.errors import Conflict
from huddles import services as huddles
from huddles.selectors import next_scheduled_meeting
from networks.access import member_required
from networks.current import current_membership
from networks.roles import CLINICAL_ROLES, Role
from patients.models import Patient

from .case_finding import case_finding, reasons, weights

PER_PAGE = 50
REFUSED = "Case finding is for the chair and the clinical roles of a network."
CHAIR_ONLY = "Only the chair puts people on the agenda."


def _refuse(request, message: str):
    return render(request, "403.html", {"message": message}, status=403)


@member_required
@require_GET
def case_finding_view(request):
    membership = current_membership(request)
    if membership is None or membership.role not in CLINICAL_ROLES:
        return _refuse(request, REFUSED)
    network = membership.network
    today = timezone.localdate()
    page = Paginator(case_finding(request.user, network, today), PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [(person, reasons(person, today)) for person in page.object_list]
    access_record(
        user=request.user,
        patients=page.object_list,
        what="case_finding",
        channel="page",
        path=request.get_full_path(),
    )
    is_chair = membership.role == Role.CHAIR
    context = {
        "network": network,
        "page": page,
        "rows": rows,
        "weights": weights(),
        "is_chair": is_chair,
        "next_meeting": next_scheduled_meeting(network) if is_chair else None,
    }
    return render(request, "reports/case_finding.html", context)


@member_required
@require_POST
def case_finding_add_view(request, pk: int):
    """Put one person on the next meeting's agenda (the chair of the current network)."""
    membership = current_membership(request)
    if membership is None or membership.role not in CLINICAL_ROLES:
        return _refuse(request, REFUSED)
    if membership.role != Role.CHAIR:
        return _refuse(request, CHAIR_ONLY)
    patient = get_object_or_404(Patient, pk=pk, network=membership.network)
    meeting = huddles.next_meeting(membership.network, by=request.user)
    if meeting is None:
        messages.error(request, "There is no meeting to come: schedule one first.")
        return redirect("reports:case_finding")
    scored = case_finding(request.user, membership.network).for_patient(patient.pk)
    reason = "Suggested by case finding"
    if scored is not None:
        reason += f", score {scored.score}: " + "; ".join(reasons(scored))
    try:
        huddles.agenda_add(meeting=meeting, patient=patient, by=request.user, reason=reason)
    except Conflict as exc:
        messages.info(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        when = timezone.localtime(meeting.starts_at)
        messages.success(
            request, f"{patient.full_name} is on the agenda of {when:%d %b %Y at %H:%M}."
        )
    return redirect("reports:case_finding")
