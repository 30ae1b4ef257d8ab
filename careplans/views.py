"""The care plan's edit page (the person's page shows the plan: careplans.sections; meeting
mode shows it and the same form: huddles). A stale save shows the other version."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from audit.services import access_record
from networks.access import member_required
from networks.selectors import members_of
from patients.access import open_patient
from patients.notices import section_tag, section_url

from . import services
from .forms import forms_valid, plan_data, plan_forms
from .sections import shown_plan
from .selectors import empty_plan


def _back(request, patient) -> str:
    """Where to go after saving: the meeting this was agreed in, or the person's page."""
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return section_url(patient.pk, "care-plan")


def edit_context(user, patient, data=None) -> dict:
    """The plan and its edit forms (bound to `data` when given), for this page and meeting
    mode alike."""
    plan = shown_plan(user, patient) or empty_plan(patient)
    members = list(members_of(patient.network_id))
    forms_ = plan_forms(plan, members, patient.network, data)
    return {"care_plan": plan, "members": members, **forms_}


@member_required
@require_http_methods(["GET", "POST"])
def care_plan_edit_view(request, pk: int):
    patient = open_patient(
        user=request.user, pk=pk, what="care_plan_edit", channel="page", path=request.path
    )
    if not request.user.has_perm("careplans.change_care_plan", patient):
        raise PermissionDenied("Your role may not change care plans.")
    data = request.POST if request.method == "POST" else None
    context = edit_context(request.user, patient, data)
    context.update(
        {
            "patient": patient,
            "next": _back(request, patient),
            "conflict": None,
            "care_plan_whole": True,  # those who may edit read the whole plan
        }
    )
    status = 200
    if data is not None and not data.get("add_rows"):
        status = 422
        if forms_valid(context):
            try:
                plan = services.care_plan_save(
                    by=request.user,
                    patient=patient,
                    data=plan_data(context, context["members"]),
                    version=context["plan_form"].cleaned_data["version"],
                )
            except services.CarePlanConflict:
                # Keep what this editor entered, on top of the other version: saving again
                # replaces it.
                theirs = shown_plan(request.user, patient)
                values = data.copy()
                values["plan-version"] = str(theirs.version if theirs else 0)
                context.update(edit_context(request.user, patient, values))
                context["conflict"] = theirs
                forms_valid(context)
                status = 409
            except ValidationError as exc:
                context["service_errors"] = [
                    message for messages_ in exc.message_dict.values() for message in messages_
                ]
            else:
                # Back on the person's page, the confirmation is in the Care plan section.
                on_page = context["next"] == section_url(patient.pk, "care-plan")
                messages.success(
                    request,
                    f"Care plan saved: version {plan.version} for {patient.full_name}.",
                    extra_tags=section_tag("care-plan") if on_page else "",
                )
                return redirect(context["next"])
    access_record(
        user=request.user,
        patients=[patient],
        what="care_plan_edit",
        channel="page",
        path=request.path,
    )
    if request.htmx and request.method == "GET":
        template = "careplans/edit.html#meeting_card"  # meeting mode, in place
    else:
        template = "careplans/edit.html"
    response = render(request, template, context, status=status)
    response["Vary"] = "HX-Request"
    return response
