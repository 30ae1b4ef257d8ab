"""The small pages behind the person page's "Change" and "Add" links: consent, the care
team (add, and remove after a confirmation), goals and their outcomes, frailty. Each is a
GET form (written to the access trail) whose POST saves through patients.services and goes
back to its section of the person's page with the confirmation shown there
(patients.notices); bad input is 422 with the errors next to the fields, nothing saved."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from audit.services import access_record
from core.errors import Conflict
from networks.access import member_required

from . import services
from .access import open_patient
from .forms import (
    BreakGlassForm,
    CareTeamForm,
    ConsentForm,
    FrailtyForm,
    GoalForm,
    GoalOutcomeForm,
)
from .involvement import refusal
from .models import CareTeamMember, Goal
from .notices import section_url, to_section
from .services import CONSENT_FIELDS

INVALID = 422


def _forbidden(request, message: str, patient=None):
    """403; for a clinical member not involved in the person's care, how to proceed."""
    if patient is not None:
        message = refusal(request.user, patient) or message
    return render(request, "403.html", {"message": message}, status=403)


def _open(request, pk: int, what: str):
    """The person, refused (and the refusal audited) as their page would be."""
    return open_patient(user=request.user, pk=pk, what=what, channel="page", path=request.path)


def _seen(request, patient, what: str) -> None:
    """A GET shows the record: written to the access trail."""
    if request.method == "GET":
        access_record(
            user=request.user, patients=[patient], what=what, channel="page", path=request.path
        )


def _add_errors(form, exc: ValidationError) -> None:
    """A service's field errors next to the form's fields; any other as the form's own."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _page(request, patient, *, section: str, title: str, form, submit: str, **extra):
    context = {
        "patient": patient,
        "title": title,
        "form": form,
        "submit": submit,
        "back_url": section_url(patient.pk, section),
        **extra,
    }
    status = INVALID if form is not None and form.errors else 200
    return render(request, "patients/change.html", context, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def patient_consent_view(request, pk: int):
    patient = _open(request, pk, "consent")
    if not request.user.has_perm("patients.record_consent", patient):
        return _forbidden(request, "Your role may not record consent.")
    form = ConsentForm(
        request.POST if request.method == "POST" else None,
        initial={name: getattr(patient, name) for name in CONSENT_FIELDS},
    )
    _seen(request, patient, "consent")
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_record_consent(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return to_section(request, pk, "summary", "Consent recorded.")
    return _page(
        request,
        patient,
        section="summary",
        title="Record consent",
        form=form,
        submit="Record consent",
        intro="What the person agreed to: discussion at the MDT, and sharing information. "
        "Refusing one that was given closes what rested on it: referrals to the PIC and the "
        "PIC's tasks, or their place on agendas of meetings not yet held.",
    )


@member_required
@require_http_methods(["GET", "POST"])
def care_team_add_view(request, pk: int):
    patient = _open(request, pk, "care_team")
    if not request.user.has_perm("patients.change_care_team", patient):
        return _forbidden(request, "Your role may not change the care team.")
    form = CareTeamForm(
        request.POST if request.method == "POST" else None,
        network=patient.network,
        clinical_allowed=request.user.has_perm("patients.change_clinical", patient),
    )
    _seen(request, patient, "care_team")
    if request.method == "POST" and form.is_valid():
        try:
            services.care_team_add(patient=patient, by=request.user, **form.cleaned_data)
        except Conflict as exc:
            form.add_error("membership", exc.message)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            member = form.cleaned_data["membership"]
            name = member.user.get_full_name() or member.user.get_username()
            return to_section(request, pk, "care-team", f"{name} added to the care team.")
    return _page(
        request,
        patient,
        section="care-team",
        title="Add to the care team",
        form=form,
        submit="Add to the care team",
    )


@member_required
@require_http_methods(["GET", "POST"])
def care_team_remove_view(request, pk: int, member_id: int):
    """Removing someone from the care team asks first: the GET names who and what happens;
    only the POST of that page (with `confirm`) removes. A POST without it (an old page, a
    double press) removes nothing and shows the question."""
    patient = _open(request, pk, "care_team")
    if not request.user.has_perm("patients.change_care_team", patient):
        return _forbidden(request, "Your role may not change the care team.")
    member = (
        CareTeamMember.objects.filter(patient=patient, pk=member_id)
        .select_related("membership__user", "membership__network")
        .first()
    )
    if member is None:
        raise Http404("No such member of this person's care team.")
    user = member.membership.user
    name = user.get_full_name() or user.get_username()
    if request.method == "POST" and request.POST.get("confirm") == "remove":
        services.care_team_remove(member=member, by=request.user)
        return to_section(request, pk, "care-team", f"{name} removed from the care team.")
    if request.method == "POST":
        return redirect(request.path)
    _seen(request, patient, "care_team")
    return render(
        request,
        "patients/confirm_remove.html",
        {
            "patient": patient,
            "member": member,
            "name": name,
            "back_url": section_url(patient.pk, "care-team"),
        },
    )


# --- Goals ("what matters to me") ----------------------------------------------------------


@member_required
@require_http_methods(["GET", "POST"])
def goal_add_view(request, pk: int):
    patient = _open(request, pk, "goals")
    if not request.user.has_perm("patients.change_patient", patient):
        return _forbidden(request, "Your role may not record goals.")
    form = GoalForm(request.POST if request.method == "POST" else None)
    _seen(request, patient, "goals")
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_add(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return to_section(request, pk, "goals", "Goal added.")
    return _page(
        request,
        patient,
        section="goals",
        title="Agree a goal",
        form=form,
        submit="Add goal",
        intro=f"A goal agreed with {patient.given_name}: what matters to them.",
    )


@member_required
@require_http_methods(["GET", "POST"])
def goal_outcome_view(request, pk: int, goal_id: int):
    patient = _open(request, pk, "goals")
    if not request.user.has_perm("patients.change_patient", patient):
        return _forbidden(request, "Your role may not record goals.")
    goal = Goal.objects.filter(patient=patient, pk=goal_id).first()
    if goal is None:
        raise Http404("No such goal for this person.")
    form = GoalOutcomeForm(request.POST if request.method == "POST" else None)
    _seen(request, patient, "goals")
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_outcome_set(goal=goal, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            outcome = form.cleaned_data["outcome"]
            if outcome == Goal.Outcome.OPEN:
                message = "Goal reopened."
            else:
                message = f"Goal marked as {Goal.Outcome(outcome).label.lower()}."
            return to_section(request, pk, "goals", message)
    return _page(
        request,
        patient,
        section="goals",
        title=(
            "Record the goal's outcome"
            if goal.outcome == Goal.Outcome.OPEN
            else "Change the goal's outcome"
        ),
        form=form,
        submit=None,
        goal=goal,
        fields=[form["on"], form["note"]],
        outcomes=[(v, label) for v, label in Goal.Outcome.choices if v != goal.outcome],
    )


# --- Frailty ------------------------------------------------------------------------------


@member_required
@require_http_methods(["GET", "POST"])
def frailty_record_view(request, pk: int):
    patient = _open(request, pk, "frailty")
    if not request.user.has_perm("patients.change_clinical", patient):
        return _forbidden(request, "Your role may not record frailty.", patient)
    form = FrailtyForm(
        request.POST if request.method == "POST" else None,
        initial={"assessed_on": timezone.localdate()},
    )
    _seen(request, patient, "frailty")
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.frailty_record(
                patient=patient, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return to_section(
                request,
                pk,
                "frailty",
                f"Frailty recorded: {assessment.get_scale_display()} {assessment.score}, "
                f"{assessment.band.lower()}.",
            )
    return _page(
        request,
        patient,
        section="frailty",
        title="Record frailty",
        form=form,
        submit="Record frailty",
        intro=(
            "eFI bands: fit up to 0.12, mild up to 0.24, moderate up to 0.36, severe above. "
            "CFS: 1 to 3 fit or managing well, 4 very mild, 5 mild, 6 moderate, 7 severe, "
            "8 very severe, 9 terminally ill. The latest assessment sets the person's frailty."
        ),
    )


# --- Break the glass ------------------------------------------------------------------------


@member_required
@require_http_methods(["GET", "POST"])
def break_glass_view(request, pk: int):
    """A member not involved in the person's care opens their clinical detail for
    BREAK_GLASS_HOURS with a coded reason; the IG lead is told at once. Back to the person's
    page, the detail open."""
    patient = _open(request, pk, "break_glass")
    if not request.user.has_perm("patients.break_glass", patient):
        return _forbidden(request, "Your role may not read clinical detail.")
    form = BreakGlassForm(request.POST if request.method == "POST" else None)
    _seen(request, patient, "break_glass")
    if request.method == "POST" and form.is_valid():
        try:
            grant = services.patient_break_glass(
                patient=patient,
                by=request.user,
                channel="page",
                path=request.path,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            until = timezone.localtime(grant.expires_at)
            return to_section(
                request,
                pk,
                "summary",
                f"You broke the glass: {patient.full_name}'s record is open to you until "
                f"{until:%H:%M on %-d %b}. The information governance lead has been told.",
            )
    hours = settings.BREAK_GLASS_HOURS
    return _page(
        request,
        patient,
        section="summary",
        title="Break the glass",
        form=form,
        submit="Break the glass and open the record",
        intro=(
            f"You are not involved in {patient.full_name}'s care. Open their clinical detail "
            f"only if you need it now. It stays open to you for {hours} hours."
        ),
        warning=(
            "The network's information governance lead is told at once that you opened this "
            "record, with your reason, and reviews it."
        ),
    )
