"""The access trail pages: the network-wide trail with filters, and its CSV export. Both
are themselves written to the trail (one event per network read, no patient)."""

import csv
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.forms import add_service_errors
from networks.access import member_required
from networks.roles import TRAIL_ROLES
from networks.selectors import active_memberships

from .filters import AccessEventFilter
from .models import BreakGlass
from .selectors import access_trail, break_glass_for_review, review_network_ids, trail_network_ids
from .services import break_glass_review, network_access_record

PER_PAGE = 50
CSV_HEADER = [
    "When",
    "Username",
    "Role",
    "Network",
    "Person id",
    "Family name",
    "Given name",
    "NHS number",
    "Asked for",
    "What",
    "How",
    "Outcome",
    "Address",
]


def _scope(request):
    """(network ids, filterset) for the request, or raises 403/404."""
    ids = trail_network_ids(request.user, request.GET.get("network", "").strip())
    filterset = AccessEventFilter(request.GET, queryset=access_trail(ids), request=request)
    return ids, filterset


def _refused(request, exc):
    return render(request, "403.html", {"message": str(exc)}, status=403)


@member_required
@require_GET
def network_access_log_view(request):
    try:
        ids, filterset = _scope(request)
    except PermissionDenied as exc:
        return _refused(request, exc)
    networks = [
        (m.network.slug, m.network.name)
        for m in sorted(active_memberships(request.user).values(), key=lambda m: m.network.name)
        if m.role in TRAIL_ROLES
    ]
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    context = {
        "filter": filterset,
        "form": filterset.form,
        "networks": networks,
        "network": request.GET.get("network", ""),
        "query": f"{query}&" if query else "",
        "export_query": query,
    }
    if not filterset.is_valid():
        return render(request, "audit/log.html", context, status=422)
    # Recorded first: a page counted before the insert and read after it would lose a row.
    network_access_record(
        user=request.user,
        network_ids=ids,
        what="access_trail",
        channel="page",
        path=request.get_full_path(),
    )
    page = Paginator(filterset.qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "audit/log.html", {**context, "page": page})


def _cell(value) -> str:
    """A spreadsheet must not run what a user typed: cells starting as a formula are quoted."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


class _Echo:
    def write(self, value):
        return value


@member_required
@require_GET
def access_trail_export_view(request):
    try:
        ids, filterset = _scope(request)
    except PermissionDenied as exc:
        return _refused(request, exc)
    if not filterset.is_valid():
        return render(
            request,
            "audit/log.html",
            {"form": filterset.form, "filter": filterset, "networks": [], "query": ""},
            status=422,
        )
    network_access_record(
        user=request.user,
        network_ids=ids,
        what="access_trail",
        channel="export",
        path=request.get_full_path(),
    )
    rows = filterset.qs.values_list(
        "at",
        "username",
        "role",
        "network__slug",
        "patient_id",
        "patient__family_name",
        "patient__given_name",
        "patient__nhs_number",
        "patient_ref",
        "what",
        "channel",
        "outcome",
        "path",
    )
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(CSV_HEADER)
        for row in rows.iterator(chunk_size=2000):
            at = timezone.localtime(row[0]).strftime("%Y-%m-%d %H:%M:%S")
            yield writer.writerow([at, *(_cell(v) for v in row[1:])])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="access-trail-{stamp}.csv"'
    return response


# --- the IG lead's review of break-glass ------------------------------------------------------


class ReviewForm(forms.Form):
    review_outcome = forms.ChoiceField(
        label="Was breaking the glass appropriate?",
        choices=BreakGlass.Review.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the access was appropriate."},
    )
    review_note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when it was not appropriate: what will be followed up.",
    )


def _review_form(grant, data=None) -> ReviewForm:
    return ReviewForm(data, auto_id=f"bg{grant.pk}-%s")


def _break_glass_page(request, ids, *, failed=None, status=200):
    reviewed = request.GET.get("reviewed", "")
    grants = break_glass_for_review(ids)
    if reviewed in ("yes", "no"):
        grants = grants.filter(reviewed_at__isnull=reviewed == "no")
    page = Paginator(grants, PER_PAGE).get_page(request.GET.get("page"))
    for grant in page:
        grant.entry_label = grant.entry_kind.replace("_", " ")
        if grant.reviewed_at is None:
            grant.form = failed if failed and failed.grant_id == grant.pk else _review_form(grant)
    network_access_record(
        user=request.user,
        network_ids=ids,
        what="break_glass_review",
        channel="page",
        path=request.get_full_path(),
    )
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    context = {
        "page": page,
        "reviewed": reviewed,
        "network": request.GET.get("network", ""),
        "query": f"{query}&" if query else "",
        "now": timezone.now(),
        "failed": failed,
    }
    return render(request, "audit/break_glass.html", context, status=status)


@member_required
@require_GET
def break_glass_list_view(request):
    """The network's break-glass, unreviewed first, each with its review form (IG lead)."""
    try:
        ids = review_network_ids(request.user, request.GET.get("network", "").strip())
    except PermissionDenied as exc:
        return _refused(request, exc)
    return _break_glass_page(request, ids)


@member_required
@require_POST
def break_glass_review_view(request, pk: int):
    try:
        ids = review_network_ids(request.user)
    except PermissionDenied as exc:
        return _refused(request, exc)
    grant = break_glass_for_review(ids).filter(pk=pk).first()
    if grant is None:
        raise Http404("No such break-glass in your networks.")
    form = _review_form(grant, request.POST)
    form.grant_id = grant.pk
    if form.is_valid():
        try:
            break_glass_review(
                grant=grant,
                by=request.user,
                outcome=form.cleaned_data["review_outcome"],
                note=form.cleaned_data["review_note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Reviewed: {grant.user.get_username()}'s break-glass of {grant.at:%-d %b}.",
            )
            return redirect(reverse("audit:break_glass") + f"#bg-{grant.pk}")
    return _break_glass_page(request, ids, failed=form, status=422)
