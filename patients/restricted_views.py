"""The pages of restricted entries, shared by every kind (a visit, the clinical notes, a huddle
note): breaking the glass on one, and restricting one or lifting it. The apps that own the
entries (medicines, huddles, patients itself) find the entry and say who wrote it; these
helpers draw the form, call the service and return to the entry, now open.

The clinical notes' own two pages are here too."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from audit.services import access_record, break_glass_record
from core.forms import add_service_errors
from networks.access import member_required

from . import services
from .access import open_patient
from .notices import section_url
from .restricted import (
    CLINICAL_NOTES,
    BreakGlassForm,
    RestrictForm,
    may_restrict_clinical_notes,
)


def _forbidden(request, message: str):
    return render(request, "403.html", {"message": message}, status=403)


def break_glass_response(
    request,
    *,
    patient: Any,
    entry_kind: str,
    entry_id: int | None,
    author: Any,
    entry: str,
    back_url: str,
    done: Callable[[str], Any],
):
    """The break-glass page for one restricted entry: GET the form, POST break the glass (the
    grant, its trail line, the IG lead and the author told at once) and `done(message)`."""
    if not request.user.has_perm("patients.break_glass", patient):
        return _forbidden(request, "Your role may not break the glass.")
    form = BreakGlassForm(request.POST if request.method == "POST" else None)
    hours = settings.BREAK_GLASS_HOURS
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
                    entry_kind=entry_kind,
                    entry_id=entry_id,
                    entry_author_id=getattr(author, "pk", None),
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return done(
                f"You broke the glass: {patient.full_name}'s entries are open to you for "
                f"{hours} hour{'s' if hours != 1 else ''}. The information governance lead "
                "has been told."
            )
    context = {
        "patient": patient,
        "entry": entry,
        "author": author,
        "form": form,
        "hours": hours,
        "back_url": back_url,
    }
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "patients/break_glass_entry.html", context, status=status)


def restrict_response(
    request,
    *,
    patient: Any,
    entry: str,
    restricted: bool,
    reason: str,
    save: Callable[[bool, str], Any],
    back_url: str,
    done: Callable[[str], Any],
):
    """The page that restricts an entry, changes why, or lifts it: `save(restricted, reason)`
    calls the entry's service (PermissionDenied and ValidationError as its answers)."""
    initial = {"restricted": True, "restricted_reason": reason if restricted else ""}
    form = RestrictForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data["restricted"], form.cleaned_data["restricted_reason"])
        except PermissionDenied as exc:
            return _forbidden(request, str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return done(
                "The entry is restricted."
                if form.cleaned_data["restricted"]
                else "The entry is no longer restricted."
            )
    context = {
        "patient": patient,
        "entry": entry,
        "form": form,
        "restricted": restricted,
        "back_url": back_url,
    }
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "patients/restrict_entry.html", context, status=status)


def _patient(request, pk: int, what: str):
    patient = open_patient(user=request.user, pk=pk, what=what, channel="page", path=request.path)
    access_record(
        user=request.user, patients=[patient], what=what, channel="page", path=request.path
    )
    return patient


def _to_clinical(request, patient):
    """Back to the Clinical section of the person's page, saying what was done."""

    def done(text: str):
        messages.success(request, text)
        return redirect(section_url(patient.pk, "clinical"))

    return done


@member_required
@require_http_methods(["GET", "POST"])
def clinical_notes_break_glass_view(request, pk: int):
    patient = _patient(request, pk, "break_glass_form")
    return break_glass_response(
        request,
        patient=patient,
        entry_kind=CLINICAL_NOTES,
        entry_id=patient.pk,
        author=patient.clinical_notes_restricted_by,
        entry="the clinical notes",
        back_url=section_url(patient.pk, "clinical"),
        done=_to_clinical(request, patient),
    )


@member_required
@require_http_methods(["GET", "POST"])
def clinical_notes_restrict_view(request, pk: int):
    patient = _patient(request, pk, "clinical_notes_restrict_form")
    if not may_restrict_clinical_notes(request.user, patient):
        return _forbidden(
            request, "Only the member who restricted the clinical notes, or the chair, may."
        )

    def save(restricted: bool, reason: str):
        return services.patient_clinical_notes_restrict(
            patient=patient, by=request.user, restricted=restricted, reason=reason
        )

    return restrict_response(
        request,
        patient=patient,
        entry="the clinical notes",
        restricted=patient.clinical_notes_restricted,
        reason=patient.clinical_notes_restricted_reason,
        save=save,
        back_url=section_url(patient.pk, "clinical"),
        done=_to_clinical(request, patient),
    )
