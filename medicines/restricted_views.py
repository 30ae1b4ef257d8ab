"""Pages for restricted visits: breaking the glass on one (a coded reason and a reason in words,
the IG lead and the author told at once) and restricting one afterwards or lifting it (its
author or the chair). Both are reached from the visit on the person's page and return to it."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from audit.services import access_record, break_glass_record
from core.forms import add_service_errors
from networks.access import member_required
from patients.access import open_patient
from patients.notices import section_url, to_section
from patients.restricted import VISIT, BreakGlassForm, RestrictForm, may_restrict

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


def _forbidden(request, message: str):
    return render(request, "403.html", {"message": message}, status=403)


@member_required
@require_http_methods(["GET", "POST"])
def visit_break_glass_view(request, pk: int, visit_id: int):
    """Break the glass on a restricted visit: the grant opens every entry of the person for
    BREAK_GLASS_HOURS; back to the visit, opened."""
    patient, visit = _visit(request, pk, visit_id, "break_glass_form")
    if not request.user.has_perm("patients.break_glass", patient):
        return _forbidden(request, "Your role may not break the glass.")
    form = BreakGlassForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                break_glass_record(
                    by=request.user,
                    patient=patient,
                    reason_code=form.cleaned_data["reason_code"],
                    reason=form.cleaned_data["reason"],
                    channel="page",
                    path=request.path,
                    entry_kind=VISIT,
                    entry_id=visit.pk,
                    entry_author_id=visit.visitor_id,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            hours = settings.BREAK_GLASS_HOURS
            return to_section(
                request,
                patient.pk,
                "visits",
                f"You broke the glass: {patient.full_name}'s entries are open to you for "
                f"{hours} hours. The information governance lead has been told.",
                level=messages.WARNING,
            )
    context = {
        "patient": patient,
        "entry": f"{visit.get_kind_display()} on {visit.visited_at:%-d %b %Y %H:%M}",
        "author": visit.visitor,
        "form": form,
        "hours": settings.BREAK_GLASS_HOURS,
        "back_url": section_url(patient.pk, "visits"),
    }
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "patients/break_glass_entry.html", context, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def visit_restrict_view(request, pk: int, visit_id: int):
    """Restrict a visit afterwards, change the reason or lift it (its author or the chair)."""
    patient, visit = _visit(request, pk, visit_id, "visit_restrict_form")
    if not may_restrict(request.user, patient=patient, author_id=visit.visitor_id):
        return _forbidden(request, "Only the visit's author or the chair may restrict it.")
    initial = {"restricted": True, "restricted_reason": visit.restricted_reason}
    form = RestrictForm(
        request.POST if request.method == "POST" else None,
        initial=initial if visit.restricted else {"restricted": True},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_restrict(
                visit=visit,
                by=request.user,
                restricted=form.cleaned_data["restricted"],
                reason=form.cleaned_data["restricted_reason"],
            )
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                return _forbidden(request, str(exc))
            add_service_errors(form, exc)
        else:
            done = "restricted" if form.cleaned_data["restricted"] else "no longer restricted"
            return to_section(request, patient.pk, "visits", f"The visit is {done}.")
    context = {
        "patient": patient,
        "entry": f"{visit.get_kind_display()} on {visit.visited_at:%-d %b %Y %H:%M}",
        "form": form,
        "restricted": visit.restricted,
        "back_url": section_url(patient.pk, "visits"),
    }
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "patients/restrict_entry.html", context, status=status)
