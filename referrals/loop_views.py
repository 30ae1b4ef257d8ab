"""Pages that close the referral loop: completing an accepted referral with its outcome,
withdrawing a new one, adding a further reason to the open referral a new one clashed with,
and each service's caseload of accepted referrals. The same rules as the API
(referrals.rules); writes through referrals.services; every look at a person is written to
the access trail."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import access_record
from core.errors import Conflict
from core.forms import add_service_errors
from core.workdays import working_days_between
from networks.access import member_required
from networks.current import current_membership
from networks.roles import Role

from . import services
from .forms import AddReasonForm, CompleteForm
from .models import Referral
from .selectors import referrals_in_networks_of, referrals_visible_to, service_directory
from .selectors import services_served_by as served_by
from .views import service_page_context

CASELOAD_PAGE_SIZE = 50
# Besides those who serve the service: who oversees every service's caseload.
CASELOAD_OVERSIGHT = {Role.CHAIR, Role.INTEGRATED_MANAGER}


def _referral_in_my_networks(request, pk: int) -> Referral:
    referral = (
        referrals_in_networks_of(request.user)
        .select_related("patient", "network", "referred_by")
        .filter(pk=pk)
        .first()
    )
    if referral is None:
        raise Http404("No such referral in your networks.")
    return referral


def _to_referral(referral: Referral):
    return redirect(
        reverse("patients:detail", args=[referral.patient_id]) + f"#referral-{referral.pk}"
    )


def _record(request, referral: Referral, what: str) -> None:
    access_record(
        user=request.user, patients=[referral.patient], what=what, channel="page", path=request.path
    )


@member_required
@require_http_methods(["GET", "POST"])
def complete_view(request, pk: int):
    """The outcome form for an accepted referral, for those who serve its service."""
    referral = _referral_in_my_networks(request, pk)
    if not request.user.has_perm("referrals.triage_referral", referral):
        raise PermissionDenied(
            f"Only members who serve {referral.service_label}, or the "
            f"{referral.network.terms['chair']}, may complete this referral."
        )
    _record(request, referral, "referral_complete")
    form = CompleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_complete(
                referral=referral, by=request.user, outcome=form.cleaned_data["outcome"]
            )
        except Conflict as exc:
            messages.error(request, exc.message)
            return _to_referral(referral)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"{referral.service_label} referral for {referral.patient.full_name} "
                "completed. The referrer has been told the outcome.",
            )
            return _to_referral(referral)
    return render(
        request,
        "referrals/complete.html",
        {"referral": referral, "form": form},
        status=422 if form.errors else 200,
    )


@member_required
@require_POST
def withdraw_view(request, pk: int):
    """The referrer withdraws a referral not yet triaged."""
    referral = _referral_in_my_networks(request, pk)
    if not request.user.has_perm("referrals.withdraw_referral", referral):
        raise PermissionDenied("Only the referrer may withdraw a referral.")
    try:
        services.referral_withdraw(referral=referral, by=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{referral.service_label} referral withdrawn.")
    return _to_referral(referral)


@member_required
@require_POST
def add_reason_view(request, pk: int):
    """Add the reason of a refused (409) new referral to the open one it clashed with: for
    those who may refer the person and read that referral."""
    referral = _referral_in_my_networks(request, pk)
    if not (
        request.user.has_perm("referrals.add_referral", referral.patient)
        and referrals_visible_to(request.user).filter(pk=referral.pk).exists()
    ):
        raise PermissionDenied("Your role may not add to this referral.")
    form = AddReasonForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "Nothing was added: " + " ".join(e for errs in form.errors.values() for e in errs),
        )
        return redirect("referrals:create", pk=referral.patient_id)
    try:
        services.referral_add_reason(
            referral=referral, by=request.user, reason=form.cleaned_data["reason"]
        )
    except (Conflict, ValidationError) as exc:
        text = exc.message if isinstance(exc, Conflict) else " ".join(exc.messages)
        messages.error(request, f"Nothing was added: {text}")
        return redirect("referrals:create", pk=referral.patient_id)
    messages.success(
        request, f"Your reason was added to the open {referral.service_label} referral."
    )
    return _to_referral(referral)


@member_required
@require_GET
def caseload_view(request, service: str):
    """A service's accepted referrals not yet completed, in the current network, the longest
    open first, with the working days since acceptance. A fixed number of queries."""
    membership = current_membership(request)
    network = membership.network
    directory = service_directory(network)
    if service not in directory:
        raise Http404("No such service.")
    if membership.role not in CASELOAD_OVERSIGHT and service not in served_by(
        request.user, network
    ):
        raise PermissionDenied(
            f"Only members who serve {directory[service].label}, the "
            f"{network.terms['chair']} and the integrated manager see its caseload."
        )
    rows = (
        Referral.objects.filter(network=network, service=service, status=Referral.Status.ACCEPTED)
        .select_related("patient", "referred_by", "triaged_by")
        .order_by("triaged_at", "id")
    )
    page = Paginator(rows, CASELOAD_PAGE_SIZE).get_page(request.GET.get("page"))
    referrals = list(page.object_list)
    served = set(served_by(request.user, network))
    today = timezone.localdate()
    for referral in referrals:
        referral.open_days = working_days_between(timezone.localdate(referral.triaged_at), today)
    access_record(
        user=request.user,
        patients=[r.patient for r in referrals],
        what="referral_caseload",
        channel="page",
        path=request.get_full_path(),
    )
    tabs = [
        {"code": code, "label": info.label}
        for code, info in directory.items()
        if info.active and (membership.role in CASELOAD_OVERSIGHT or code in served)
    ]
    context = service_page_context(network, service, tabs, page, referrals)
    # The triage rule (referrals.rules.serves_the_service), for the page's one service.
    context["can_complete"] = service in served
    return render(request, "referrals/caseload.html", context)
