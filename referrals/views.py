"""Pages for referrals and red flags (htmx): the triage inbox of each service, the referral
form, and raising and resolving red flags from the person's page. Reads go through
referrals.selectors, writes through referrals.services; every look at a person is written to
the access trail."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import access_record
from core.errors import Conflict
from core.forms import add_service_errors
from core.workdays import working_days_between
from networks.access import member_required
from networks.current import current_membership
from networks.roles import CASEWORK_ROLES, RECORD_ROLES
from networks.selectors import member_labels, network_by_slug_for, role_in
from patients.access import open_patient
from patients.notices import section_tag, to_section
from patients.selectors import patients_in_user_networks

from . import services
from .forms import (
    DeclineForm,
    FlagRaiseForm,
    FlagResolveForm,
    ReferralForm,
)
from .models import PatientFlag, Referral
from .selectors import (
    active_flags_for,
    active_red_flags,
    inbox,
    label_from,
    network_directory_for,
    referrals_in_networks_of,
    referrals_visible_to,
    service_directory,
    services_served_by,
)

INBOX_PAGE_SIZE = 50


def _forbidden(request, message: str):
    return render(request, "403.html", {"message": message}, status=403)


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _label(labels: dict[int, str], user) -> str:
    if user is None:
        return ""
    return labels.get(user.pk) or _name(user)


def _quoted(label: str) -> str:
    return f"\u2018{label}\u2019"  # in curly single quotes


# --- the triage inbox ----------------------------------------------------------------------


def _decline_form(referral, data=None) -> DeclineForm:
    return DeclineForm(data, auto_id=f"decline-{referral.pk}-%s")


def _url_for_each(name: str):
    """reverse(name, args=[pk]) for many pks at the cost of one reverse: the URL made once with
    a marker for the pk, the pk put in its place for each."""
    marker = "987654321"
    head, tail = reverse(name, args=[int(marker)]).split(marker)
    return lambda pk: f"{head}{pk}{tail}"


def _prepare_cards(referrals, network, failed: dict | None = None) -> None:
    """What each card shows beyond the row: how long it has waited, who referred, its links,
    and its decline form (bound with errors for the one that failed; the others' blank fields
    rendered once). No queries per row, and one URL reversed per kind of link, not per card
    (reversing ~250 URLs was a sixth of the inbox's time)."""
    today = timezone.localdate()
    labels = member_labels(network)
    failed = failed or {}
    blank = _blank_decline_fields() if referrals else ""
    person_url = _url_for_each("patients:detail")
    accept_url = _url_for_each("referrals:accept")
    decline_url = _url_for_each("referrals:decline")
    for referral in referrals:
        referral.waited = working_days_between(timezone.localdate(referral.created_at), today)
        referral.referrer = _label(labels, referral.referred_by)
        referral.person_url = person_url(referral.patient_id)
        referral.accept_url = accept_url(referral.pk)
        referral.decline_url = decline_url(referral.pk)
        referral.decline_form = failed.get(referral.pk)
        if referral.pk not in failed:
            # The same empty fields on every card but for their ids: rendered once, not
            # once per card (50 cards' widgets were most of the inbox's time).
            referral.decline_fields = mark_safe(  # noqa: S308 (our own rendered fields)
                blank.replace(_BLANK_ID, f"decline-{referral.pk}-")
            )


_BLANK_ID = "decline-__card__-"


def _blank_decline_fields() -> str:
    form = DeclineForm(auto_id=_BLANK_ID + "%s")
    return "".join(
        render_to_string("includes/field.html", {"field": form[name]}) for name in form.fields
    )


def _render_inbox(request, network, service: str, served: list[str], *, failed=None, status=200):
    directory = service_directory(network)
    page = Paginator(inbox(network, service), INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    referrals = list(page.object_list)
    _prepare_cards(referrals, network, failed)
    access_record(
        user=request.user,
        patients=[r.patient for r in referrals],
        what="referral_inbox",
        channel="page",
        path=request.get_full_path(),
    )
    counts = dict(
        Referral.objects.filter(network=network, service__in=served, status=Referral.Status.NEW)
        .order_by()
        .values_list("service")
        .annotate(n=Count("id"))
    )
    tabs = [
        {"code": code, "label": directory[code].label, "count": counts.get(code, 0)}
        for code in served
    ]
    context = service_page_context(network, service, tabs, page, referrals)
    response = render(request, "referrals/inbox.html", context, status=status)
    response["Vary"] = "HX-Request"
    return response


def service_page_context(network, service: str, tabs: list[dict], page, referrals) -> dict:
    """What a page of one service's referrals shows (the inbox, the caseload): the service,
    tabs to the others, and a page of its referrals."""
    return {
        "network": network,
        "service": service,
        "service_info": service_directory(network)[service],
        "tabs": tabs,
        "page": page,
        "referrals": referrals,
    }


def _casework_membership(request):
    membership = current_membership(request)
    if membership.role not in CASEWORK_ROLES:
        raise PermissionDenied("Your role does not triage referrals.")
    return membership


@member_required
@require_GET
def inbox_home_view(request):
    """The inbox of the first service the user serves that has something new (else the
    first service); a page saying so if the user serves none."""
    membership = _casework_membership(request)
    served = services_served_by(request.user, membership.network)
    if not served:
        return render(request, "referrals/no_service.html", {"network": membership.network})
    waiting = set(
        Referral.objects.filter(
            network=membership.network, service__in=served, status=Referral.Status.NEW
        )
        .order_by()
        .values_list("service", flat=True)
        .distinct()
    )
    first = next((code for code in served if code in waiting), served[0])
    return redirect("referrals:inbox_service", service=first)


@member_required
@require_GET
def inbox_view(request, service: str):
    membership = _casework_membership(request)
    network = membership.network
    directory = service_directory(network)
    if service not in directory:
        raise Http404("No such service.")
    served = services_served_by(request.user, network)
    if service not in served:
        return _forbidden(
            request,
            f"You do not triage referrals to {directory[service].label}: only members whose "
            f"role serves it, and the {network.terms['chair']}, do.",
        )
    return _render_inbox(request, network, service, served)


def _referral_to_triage(request, pk: int) -> Referral:
    """The referral, if it is in the caller's networks (else 404) and the caller serves its
    service or chairs (else 403)."""
    referral = (
        referrals_in_networks_of(request.user)
        .select_related("patient", "network", "referred_by", "source_organisation")
        .filter(pk=pk)
        .first()
    )
    if referral is None:
        raise Http404("No such referral in your networks.")
    if not request.user.has_perm("referrals.triage_referral", referral):
        raise PermissionDenied(
            f"Only members who serve {referral.service_label}, or the "
            f"{referral.network.terms['chair']}, may triage this referral."
        )
    return referral


def _back_to_inbox(referral):
    return redirect("referrals:inbox_service", service=referral.service)


def _fragment(request, name: str, context: dict, status: int = 200):
    response = render(request, f"referrals/inbox.html#{name}", context, status=status)
    response["Vary"] = "HX-Request"
    return response


def _triaged(request, referral: Referral):
    """After accept or decline: the card becomes a short confirmation (htmx), or the inbox
    again with a message."""
    if referral.status == Referral.Status.ACCEPTED:
        text = f"Accepted — {referral.patient.full_name}"
    else:
        text = f"Declined: {referral.get_decline_reason_display()} — {referral.patient.full_name}"
    if request.htmx:
        remaining = inbox(referral.network, referral.service).count()
        return _fragment(
            request, "done", {"referral": referral, "text": text, "remaining": remaining}
        )
    messages.success(request, text)
    if _urgent_to_the_meeting(referral):
        meeting = referral.network.terms["meeting"]
        messages.info(
            request,
            f"Urgent: if the next {meeting} is more than 2 working days away, add an extra "
            f"{meeting} from the {referral.network.terms['meetings']} page.",
        )
    return _back_to_inbox(referral)


def _urgent_to_the_meeting(referral: Referral) -> bool:
    """An urgent MDT referral just accepted: the chair is offered an extra meeting."""
    return (
        referral.status == Referral.Status.ACCEPTED
        and referral.service == "mdt"
        and referral.urgency == "urgent"
    )


def _conflict(request, referral: Referral, exc: Conflict | ValidationError, status: int = 409):
    """Someone acted first (or the referral cannot be accepted): say so, and what the
    referral is now."""
    message = exc.message if isinstance(exc, Conflict) else " ".join(exc.messages)
    fresh = Referral.objects.select_related("patient", "triaged_by", "closed_by").get(
        pk=referral.pk
    )
    if request.htmx:
        remaining = inbox(referral.network, referral.service).count()
        context = {"referral": fresh, "message": message, "remaining": remaining}
        return _fragment(request, "conflict", context, status=status)
    messages.error(request, message)
    return _back_to_inbox(referral)


@member_required
@require_POST
def accept_view(request, pk: int):
    referral = _referral_to_triage(request, pk)
    try:
        referral = services.referral_accept(referral=referral, by=request.user)
    except Conflict as exc:
        return _conflict(request, referral, exc)
    except ValidationError as exc:  # the person refused discussion at the MDT
        return _conflict(request, referral, exc, status=422)
    return _triaged(request, referral)


@member_required
@require_POST
def decline_view(request, pk: int):
    referral = _referral_to_triage(request, pk)
    form = _decline_form(referral, request.POST)
    if form.is_valid():
        try:
            declined = services.referral_decline(
                referral=referral,
                by=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except Conflict as exc:
            return _conflict(request, referral, exc)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _triaged(request, declined)
    for name in form.errors:  # take the keyboard to the first field to fix
        if name in form.fields:
            form.fields[name].widget.attrs["autofocus"] = True
            break
    if request.htmx:
        _prepare_cards([referral], referral.network, {referral.pk: form})
        return _fragment(request, "card", {"referral": referral}, status=422)
    served = services_served_by(request.user, referral.network)
    if referral.service not in served:  # the chair of another network's page, say
        served = [referral.service, *served]
    return _render_inbox(
        request, referral.network, referral.service, served, failed={referral.pk: form}, status=422
    )


# --- the referral form ---------------------------------------------------------------------


def _flag_outcome(patient_flag, raised, active_before: set[int], subject: str, also: str) -> str:
    """Where one red flag went, as a sentence starting with `subject`."""
    if patient_flag.pk in {f.pk for f in raised.held_for_consent}:
        return f"{subject} was recorded. {services.NO_CONSENT_TASK}"
    target = patient_flag.referral
    service = target.service_label if target is not None else ""
    if patient_flag.flag_id in active_before:
        where = f" (on the {service} referral)" if target is not None else ""
        return f"{subject} was already active{where}; nothing new was raised for it."
    if target is None:
        return f"{subject} was recorded."
    if raised.referral is not None and target.pk == raised.referral.pk:
        return f"{subject} is on this referral."
    if target.pk in {r.pk for r in raised.flag_referrals}:
        return f"{subject} {also}raised a referral to {service}."
    return f"{subject} was added to the open {service} referral (#{target.pk})."


def _raised_message(raised, active_before: set[int]) -> str:
    """What a referral raised: the referral asked for, and where each red flag went."""
    parts = [f"Referred to {raised.referral.service_label}."]
    for patient_flag in raised.flags:
        subject = f"The red flag {_quoted(patient_flag.flag.label)}"
        parts.append(_flag_outcome(patient_flag, raised, active_before, subject, "also "))
    return " ".join(parts)


def _active_flag_ids(patient) -> set[int]:
    return set(
        PatientFlag.objects.filter(patient=patient, resolved_at__isnull=True).values_list(
            "flag_id", flat=True
        )
    )


@member_required
@require_http_methods(["GET", "POST"])
def referral_create_view(request, pk: int):
    patient = open_patient(
        user=request.user, pk=pk, what="refer", channel="page", path=request.path
    )
    if not request.user.has_perm("referrals.add_referral", patient):
        return _forbidden(request, "Your role may not make referrals.")
    form = ReferralForm(
        request.POST if request.method == "POST" else None,
        network=patient.network,
        initial={"service": request.GET.get("service", "")[:30], "urgency": "routine"},
    )
    form.fields["service"].widget.attrs.update(
        {
            "hx-get": f"{reverse('referrals:criteria')}?network={patient.network.slug}",
            "hx-trigger": "change",
            "hx-target": "#service-criteria",
            "hx-swap": "innerHTML",
        }
    )
    if request.method == "GET":
        access_record(
            user=request.user, patients=[patient], what="refer", channel="page", path=request.path
        )
    clash = None  # the open referral a new one clashed with, if the user may read it
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        active_before = _active_flag_ids(patient)
        try:
            raised = services.referral_create(
                patient=patient,
                service=data["service"],
                reason=data["reason"],
                urgency=data["urgency"],
                red_flags=data["red_flags"],
                by=request.user,
            )
        except Conflict as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            open_one = exc.record
            if (
                open_one is not None
                and referrals_visible_to(request.user).filter(pk=open_one.pk).exists()
            ):
                # Offer to add this reason to it (referrals.loop_views.add_reason_view).
                clash = open_one
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            # Shown at the top of the Referrals section the user is taken to.
            return to_section(
                request,
                patient.pk,
                "referrals",
                _raised_message(raised, active_before),
                level=messages.WARNING if raised.held_for_consent else messages.SUCCESS,
            )
    return render(
        request,
        "referrals/form.html",
        {
            "patient": patient,
            "form": form,
            "selected_service": form.selected_service(),
            "clash": clash,
        },
        status=422 if form.errors else 200,
    )


@member_required
@require_GET
def criteria_view(request):
    """What one service accepts: the fragment the referral form swaps in on change."""
    slug = request.GET.get("network", "")
    if slug:
        network = network_by_slug_for(request.user, slug)
    else:
        network = current_membership(request).network
    if network is None:
        raise Http404("Not one of your networks.")
    if role_in(request.user, network.pk) not in RECORD_ROLES:  # care home staff refer too
        return _forbidden(request, "Your role may not make referrals.")
    info = service_directory(network).get(request.GET.get("service", ""))
    return render(
        request,
        "referrals/form.html#criteria",
        {"selected_service": info if info is not None and info.active else None},
    )


# --- red flags on the person's page --------------------------------------------------------


# Messages shown in the person page's red flags section, where _to_flags takes the user.
FLAGS = section_tag("flags")


def _to_flags(patient_id: int):
    return redirect(reverse("patients:detail", args=[patient_id]) + "#flags")


@member_required
@require_POST
def flag_raise_view(request, pk: int):
    patient = open_patient(
        user=request.user, pk=pk, what="raise_flag", channel="page", path=request.path
    )
    if not request.user.has_perm("patients.change_patient", patient):
        return _forbidden(request, "Your role may not raise red flags.")
    form = FlagRaiseForm(request.POST, flags=list(active_red_flags()))
    if not form.is_valid():
        messages.error(
            request,
            "The red flag was not raised: "
            + " ".join(e for errors in form.errors.values() for e in errors),
            extra_tags=FLAGS,
        )
        return _to_flags(patient.pk)
    flag = form.cleaned_data["flag"]
    active_before = _active_flag_ids(patient)
    try:
        raised = services.flag_raise(
            patient=patient,
            flag=flag,
            by=request.user,
            raised_from=PatientFlag.RaisedFrom.PATIENT,
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages), extra_tags=FLAGS)
    else:
        patient_flag = raised.flags[0]
        if raised.held_for_consent:
            messages.warning(
                request,
                f"Red flag {_quoted(flag.label)} recorded for {patient.full_name}. "
                + services.NO_CONSENT_TASK,
                extra_tags=FLAGS,
            )
        elif flag.pk in active_before:
            target = patient_flag.referral
            where = f" (on the {target.service_label} referral)" if target else ""
            messages.info(
                request,
                f"{_quoted(flag.label)} is already an active red flag for "
                f"{patient.full_name}{where}. Nothing new was raised.",
                extra_tags=FLAGS,
            )
        else:
            outcome = _flag_outcome(patient_flag, raised, active_before, "It", "")
            messages.success(
                request,
                f"Red flag {_quoted(flag.label)} raised for {patient.full_name}. {outcome}",
                extra_tags=FLAGS,
            )
    return _to_flags(patient.pk)


@member_required
@require_POST
def flag_resolve_view(request, flag_id: int):
    patient_flag = (
        PatientFlag.objects.filter(pk=flag_id, patient__in=patients_in_user_networks(request.user))
        .select_related("flag")
        .first()
    )
    if patient_flag is None:
        raise Http404("No such red flag in your networks.")
    patient = open_patient(
        user=request.user,
        pk=patient_flag.patient_id,
        what="resolve_flag",
        channel="page",
        path=request.path,
    )
    if not request.user.has_perm("patients.change_patient", patient):
        return _forbidden(request, "Your role may not resolve red flags.")
    form = FlagResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Keep the resolution note to 500 characters.", extra_tags=FLAGS)
        return _to_flags(patient.pk)
    try:
        services.flag_resolve(
            patient_flag=patient_flag,
            by=request.user,
            resolution=form.cleaned_data["resolution"],
        )
    except Conflict as exc:
        messages.error(request, exc.message, extra_tags=FLAGS)
    else:
        messages.success(
            request, f"Red flag {_quoted(patient_flag.flag.label)} resolved.", extra_tags=FLAGS
        )
    return _to_flags(patient.pk)


def patient_referrals_context(user, patient) -> dict:
    """The person page's "Active red flags" and "Referrals" sections: the referrals the user
    may see (the PIC: their own and the PIC service's), the flags, and the forms. A fixed
    number of queries however many rows."""
    visible_referrals = referrals_visible_to(user).filter(patient=patient)
    referrals = list(
        visible_referrals.select_related(
            "referred_by", "triaged_by", "closed_by", "source_organisation"
        ).order_by("-created_at", "-id")
    )
    # Each referral's flags by the referrals' own condition, not their ids: one query
    # whether the person has no referral or eighty (a prefetch is skipped when there are none).
    flags_of: dict[int, list[PatientFlag]] = {}
    for patient_flag in PatientFlag.objects.filter(
        referral__in=visible_referrals.values("pk")
    ).select_related("flag"):
        flags_of.setdefault(patient_flag.referral_id, []).append(patient_flag)
    for referral in referrals:
        referral.flag_list = flags_of.get(referral.pk, [])
    flags = list(active_flags_for(patient))
    labels = member_labels(patient.network)
    visible = {r.pk for r in referrals}
    served = set(services_served_by(user, patient.network))
    label_from(
        [*referrals, *(f.referral for f in flags)],
        network_directory_for(user, patient.network_id),
    )
    for referral in referrals:
        referral.referrer = _label(labels, referral.referred_by)
        referral.triager = _label(labels, referral.triaged_by)
        referral.closer = _label(labels, referral.closed_by)
        referral.can_triage = referral.status == Referral.Status.NEW and referral.service in served
        # The API's rules (referrals.rules): the service completes, the referrer withdraws.
        referral.can_complete = (
            referral.status == Referral.Status.ACCEPTED and referral.service in served
        )
        referral.can_withdraw = referral.status == Referral.Status.NEW and user.has_perm(
            "referrals.withdraw_referral", referral
        )
    for patient_flag in flags:
        patient_flag.raiser = _label(labels, patient_flag.raised_by)
        # A flag's note and referral are shown only to those who may see that referral.
        patient_flag.details_visible = (
            patient_flag.referral_id in visible or patient_flag.raised_by_id == user.pk
        )
        patient_flag.referral_visible = patient_flag.referral_id in visible
    can_flag = user.has_perm("patients.change_patient", patient)
    return {
        "referrals": referrals,
        "referrals_limited": not user.has_perm("patients.view_clinical", patient),
        "active_flags": flags,
        "can_refer": user.has_perm("referrals.add_referral", patient),
        "can_flag": can_flag,
        "flag_form": (
            FlagRaiseForm(flags=list(active_red_flags()), auto_id="raise-%s") if can_flag else None
        ),
    }
