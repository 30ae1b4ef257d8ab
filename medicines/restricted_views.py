"""Pages for restricted visits: breaking the glass on one (a coded reason and a reason in words,
the IG lead and the author told at once) and restricting one afterwards or lifting it (its
author or the chair). Both are reached from the visit on the person's page and return to it;
the forms are patients.restricted_views' (every kind of restricted entry alike)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from audit.services import access_record
from networks.access import member_required
from patients.access import open_patient
from patients.notices import section_url, to_section
from patients.restricted import VISIT, may_restrict
from patients.restricted_views import break_glass_response, restrict_response

from . import services
from .models import Visit


def _visit(request, pk: int, visit_id: int, what: str):
    patient = open_patient(user=request.user, pk=pk, what=what, channel="page", path=request.path)
    visit = (
        Visit.objects.filter(pk=visit_id, patient=patient)
        .select_related("visitor", "restricted_by")
        .first()
    )
    if visit is None:
        raise Http404("No such visit for this person.")
    access_record(
        user=request.user, patients=[patient], what=what, channel="page", path=request.path
    )
    return patient, visit


def _entry(visit: Visit) -> str:
    return f"{visit.get_kind_display().lower()} on {visit.visited_at:%-d %b %Y %H:%M}"


@member_required
@require_http_methods(["GET", "POST"])
def visit_break_glass_view(request, pk: int, visit_id: int):
    """Break the glass on a restricted visit; back to the person's visits, now open."""
    patient, visit = _visit(request, pk, visit_id, "break_glass_form")
    return break_glass_response(
        request,
        patient=patient,
        entry_kind=VISIT,
        entry_id=visit.pk,
        author=visit.visitor,
        entry=_entry(visit),
        back_url=section_url(patient.pk, "visits"),
        done=lambda text: to_section(request, patient.pk, "visits", text, level=messages.WARNING),
    )


@member_required
@require_http_methods(["GET", "POST"])
def visit_restrict_view(request, pk: int, visit_id: int):
    """Restrict a visit afterwards, change the reason or lift it (its author or the chair)."""
    patient, visit = _visit(request, pk, visit_id, "visit_restrict_form")
    if not may_restrict(request.user, patient=patient, author_id=visit.visitor_id):
        message = "Only the visit's author or the chair may restrict it."
        return render(request, "403.html", {"message": message}, status=403)
    return restrict_response(
        request,
        patient=patient,
        entry=_entry(visit),
        restricted=visit.restricted,
        reason=visit.restricted_reason,
        save=lambda restricted, reason: services.visit_restrict(
            visit=visit, by=request.user, restricted=restricted, reason=reason
        ),
        back_url=section_url(patient.pk, "visits"),
        done=lambda text: to_section(request, patient.pk, "visits", text),
    )
