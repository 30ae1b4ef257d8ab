"""Pages for people's records (htmx). Every read goes through patients.selectors and is
written to the access trail; every write through patients.services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from audit.selectors import access_events_for_patient
from audit.services import access_record
from core import ports
from core.errors import Conflict
from core.pdf import pdf_response
from networks.access import member_required
from networks.current import current_membership
from networks.models import Membership

from . import services, timeline
from .access import open_patient
from .caseload import CaseloadFilterForm, caseload_columns, caseload_filter
from .forms import PatientForm
from .involvement import BREAK_GLASS, clinical_access, clinical_patient_ids, glass_open_until
from .models import CareTeamMember, Goal
from .notices import split_messages
from .restricted import may_restrict_clinical_notes, seal_clinical_notes
from .selectors import (
    latest_frailty_score,
    latest_frailty_scores,
    patient_detail,
    patient_list,
    patients_auditable_by,
    patients_in_user_networks,
)

PAGE_SIZE = 25
# The person's page is a summary: its lists are short, each with a link to see all.
FRAILTY_SHOWN = 5


def _forbidden(request, message: str):
    return render(request, "403.html", {"message": message}, status=403)


def _load(request, pk: int, what: str):
    return open_patient(user=request.user, pk=pk, what=what, channel="page", path=request.path)


@member_required
def patient_list_view(request):
    membership = current_membership(request)
    if not request.user.has_perm("patients.view_patient", membership.network):
        return _forbidden(request, "Your role may not open people's records.")
    q = request.GET.get("q", "").strip()[:100]
    clinical = request.user.has_perm("patients.view_clinical", membership.network)
    columns = caseload_columns(request.user, clinical=clinical)
    form = CaseloadFilterForm(
        request.GET,
        user=request.user,
        network=membership.network,
        columns=columns,
        clinical=clinical,
    )
    # By the network's id, not its slug: counting by slug joined the networks table and
    # walked every person of the network (3.8 ms at 22,000), by id an index answers it (1 ms).
    queryset = patient_list(request.user, q=q).filter(network_id=membership.network_id)
    queryset = caseload_filter(queryset.select_related("key_worker__user"), form, request.user)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # Clinical columns for the people whose clinical detail the user reads (involved, or the
    # glass broken): the same decision as their page, for the page's rows at once.
    opened = clinical_patient_ids(request.user, rows) if clinical and rows else set()
    scores = latest_frailty_scores(list(opened)) if opened else {}
    for patient in rows:
        patient.clinical_shown = patient.pk in opened
        patient.latest_score = latest_frailty_score(scores.get(patient.pk, {}))
        patient.extra_values = [
            (c.label, c.display(getattr(patient, c.key)) if _shown(c, patient) else NOT_SHOWN)
            for c in columns
        ]
    filtered = any(form.value(name) for name in form.fields if name != "sort")
    headers = _sort_headers(form, columns)
    access_record(
        user=request.user,
        patients=rows,
        what="search" if q or filtered else "list",
        channel="page",
        path=request.get_full_path(),
    )
    context = {
        "page": page,
        "patients": rows,
        "q": q,
        "form": form,
        "filtered": filtered,
        "headers": headers,
        "extra_headers": [(column, headers[column.key]) for column in columns],
        "can_add": request.user.has_perm("patients.add_patient", membership.network),
        "clinical": clinical,
    }
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "patients/list.html#results" if fragment else "patients/list.html"
    response = render(request, template, context, status=422 if form.errors else 200)
    response["Vary"] = "HX-Request"
    return response


NOT_SHOWN = "Not involved"


def _shown(column, patient) -> bool:
    return not column.clinical or patient.clinical_shown


def _sort_headers(form, columns) -> dict[str, dict[str, str]]:
    """For each sortable column: its aria-sort ("ascending", "descending" or "none") and the
    sort a click on its header asks for (the other direction when it is the current one)."""
    current = form.value("sort") or "name"
    headers = {}
    for key in form.sort_keys():
        if current == key:
            headers[key] = {"aria": "ascending", "next": f"-{key}"}
        elif current == f"-{key}":
            headers[key] = {"aria": "descending", "next": key}
        else:
            headers[key] = {"aria": "none", "next": key}
    return headers


@member_required
@require_http_methods(["GET", "POST"])
def patient_create_view(request):
    membership = current_membership(request)
    network = membership.network
    if not request.user.has_perm("patients.add_patient", network):
        return _forbidden(request, "Your role may not add people.")
    clinical = request.user.has_perm("patients.change_clinical", network)
    form = PatientForm(request.POST or None, network=network, clinical_allowed=clinical)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(
                network=network, by=request.user, clinical_allowed=clinical, **form.cleaned_data
            )
        except Conflict as exc:
            form.add_error(exc.field, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{patient.full_name} added.")
            return redirect("patients:detail", pk=patient.pk)
    return render(
        request,
        "patients/form.html",
        {"form": form, "creating": True},
        status=422 if form.errors else 200,
    )


@member_required
def patient_detail_view(request, pk: int):
    patient = _load(request, pk, "detail")
    return _render_detail(request, patient)


def _render_detail(request, patient):
    """The person's page, written to the access trail: a summary at the top, then sections
    reached from its contents list. Confirmations meant for a section (patients.notices)
    are shown in that section rather than at the top of the page."""
    access_record(
        user=request.user, patients=[patient], what="detail", channel="page", path=request.path
    )
    user = request.user
    seal_clinical_notes(user, patient)
    can_audit = user.has_perm("patients.view_access_log", patient)
    access = clinical_access(user, patient)
    general, notices = split_messages(request)
    context = {
        "can_break_glass": user.has_perm("patients.break_glass", patient),
        "can_restrict_notes": may_restrict_clinical_notes(user, patient),
        "patient": patient,
        "clinical": user.has_perm("patients.view_clinical", patient),
        # not_involved: the panel naming who is, with "Break the glass"; break_glass: until
        # when the grant keeps the record open (patients.involvement)
        "clinical_access": access,
        "glass_open_until": glass_open_until(user, patient) if access == BREAK_GLASS else None,
        "can_edit": user.has_perm("patients.change_patient", patient),
        "can_consent": user.has_perm("patients.record_consent", patient),
        "can_change_team": user.has_perm("patients.change_care_team", patient),
        "can_audit": can_audit,
        "care_team": CareTeamMember.objects.filter(patient=patient).select_related(
            "membership__user", "membership__network", "membership__organisation"
        ),
        "access_events": access_events_for_patient(patient)[:10] if can_audit else [],
        # Goals agreed with the person ("what matters to me") and their outcomes.
        **goals_context(user, patient),
        **frailty_context(user, patient),
        **timeline_context(request, patient, limit=timeline.SHOWN_ON_PERSON_PAGE),
        # The messages for the top of the page (base.html), and those for a section.
        "messages": general,
        "notices": notices,
    }
    # The sections other apps own (apps on floors above this one), through the port
    # settings.ICN_PORTS["person_page_sections"]: open tasks; the care plan; active red flags
    # and referrals (those the user may see); medicines and visits (not the PIC); the next
    # meeting the person is on.
    for section in ports.port("person_page_sections"):
        context.update(section(user, patient))
    return render(request, "patients/detail.html", context)


@member_required
@require_GET
def patient_summary_pdf_view(request, pk: int):
    """The person's summary as PDF: what their page shows the user, on the same rules (the
    clinical part for roles that may see it; the other apps' sections through the
    `person_page_sections` port, each applying its own), written to the access trail."""
    patient = _load(request, pk, "summary")
    access_record(
        user=request.user, patients=[patient], what="summary", channel="export", path=request.path
    )
    user = request.user
    seal_clinical_notes(user, patient)
    context = {
        "patient": patient,
        "clinical": user.has_perm("patients.view_clinical", patient),
        "generated_at": timezone.localtime(),
        "care_team": CareTeamMember.objects.filter(patient=patient).select_related(
            "membership__user", "membership__network", "membership__organisation"
        ),
        "goals": patient.goals.order_by("id"),
    }
    for section in ports.port("person_page_sections"):
        context.update(section(user, patient))
    return pdf_response(request, "pdf/person_summary.html", context, f"summary-{patient.pk}.pdf")


def timeline_context(request, patient, *, limit: int | None = None) -> dict:
    """The person's timeline (patients.timeline): the entries of the kinds the GET chose
    (``kind``, any number; all when none), newest first, grouped by month; the latest
    ``limit`` of them when given."""
    offered = timeline.kinds_for(request.user, patient)
    kinds = timeline.kinds_chosen(request.GET.getlist("kind"), offered)
    filtered = len(kinds) < len(offered)
    entries = timeline.collect(request.user, patient, kinds=kinds)
    shown = entries[:limit] if limit is not None else entries
    return {
        "timeline_months": timeline.by_month(shown),
        "timeline_shown": len(shown),
        "timeline_total": len(entries),
        "timeline_more": len(entries) > len(shown),
        "timeline_kinds": [(code, label, code in kinds) for code, label in offered.items()],
        "timeline_filtered": filtered,
        "timeline_query": "&".join(f"kind={kind}" for kind in kinds) if filtered else "",
    }


@member_required
def patient_timeline_view(request, pk: int):
    """Everything on the person's timeline (the person's page shows the latest)."""
    patient = _load(request, pk, "timeline")
    access_record(
        user=request.user,
        patients=[patient],
        what="timeline",
        channel="page",
        path=request.get_full_path(),
    )
    context = {"patient": patient, "full_timeline": True, **timeline_context(request, patient)}
    return render(request, "patients/timeline.html", context)


@member_required
@require_http_methods(["GET", "POST"])
def patient_edit_view(request, pk: int):
    patient = _load(request, pk, "edit")
    if not request.user.has_perm("patients.change_patient", patient):
        return _forbidden(request, "Your role may not change people's records.")
    clinical = request.user.has_perm("patients.change_clinical", patient)
    form = PatientForm(
        request.POST or None, instance=patient, network=patient.network, clinical_allowed=clinical
    )
    if seal_clinical_notes(request.user, patient).clinical_notes_sealed:
        form.fields.pop("clinical_notes", None)  # neither shown nor overwritten
    if request.method == "GET":
        access_record(
            user=request.user, patients=[patient], what="edit", channel="page", path=request.path
        )
    if request.method == "POST" and form.is_valid():
        changed = {f: form.cleaned_data[f] for f in form.changed_data}
        try:
            fresh = patient_detail(request.user, pk)
            services.patient_update(
                patient=fresh, by=request.user, clinical_allowed=clinical, **changed
            )
        except Conflict as exc:
            form.add_error(exc.field, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Changes saved.")
            return redirect("patients:detail", pk=pk)
    return render(
        request,
        "patients/form.html",
        {"form": form, "patient": patient},
        status=422 if form.errors else 200,
    )


@member_required
def patient_access_log_view(request, pk: int):
    patient = patients_auditable_by(request.user).filter(pk=pk).first()
    if patient is None:
        if patients_in_user_networks(request.user).filter(pk=pk).exists():
            return _forbidden(
                request, "Only the chair and managers may see who looked at a record."
            )
        raise Http404
    # Recorded first: a page counted before the insert and read after it would lose a row.
    access_record(
        user=request.user,
        patients=[patient],
        what="access_log",
        channel="page",
        path=request.get_full_path(),
    )
    page = Paginator(access_events_for_patient(patient), 50).get_page(request.GET.get("page"))
    return render(request, "patients/access_log.html", {"patient": patient, "page": page})


# --- Goals ("what matters to me") and frailty, as the person's page shows them -------------
# (their forms are pages of their own: patients/section_views.py)


def _role_in_network(network_id: int, user_field: str) -> Subquery:
    """The role a goal's author has (or last had) in the person's network."""
    return Subquery(
        Membership.objects.filter(network_id=network_id, user_id=OuterRef(user_field))
        .order_by("-is_active", "-id")
        .values("role")[:1]
    )


def _who(network, user, role: str | None) -> str:
    if user is None:
        return ""
    name = user.get_full_name() or user.get_username()
    return f"{name}, {network.role_label(role)}" if role else name


def goals_context(user, patient) -> dict:
    """The person page's goals section: every goal with who agreed it and its outcome. One
    query however many goals."""
    network = patient.network
    goals = list(
        patient.goals.select_related("agreed_by", "outcome_by").annotate(
            agreed_by_role=_role_in_network(network.pk, "agreed_by_id"),
            outcome_by_role=_role_in_network(network.pk, "outcome_by_id"),
        )
    )
    for goal in goals:
        goal.agreed_by_label = _who(network, goal.agreed_by, goal.agreed_by_role)
        goal.outcome_by_label = _who(network, goal.outcome_by, goal.outcome_by_role)
    decided = [g for g in goals if g.outcome != Goal.Outcome.OPEN]
    return {
        "goals": goals,
        "goals_open": len(goals) - len(decided),
        "goals_met": sum(g.outcome == Goal.Outcome.MET for g in decided),
        "goals_decided": len(decided),
        "can_edit_goals": user.has_perm("patients.change_patient", patient),
    }


def frailty_context(user, patient) -> dict:
    """The person page's frailty section (clinical roles): the latest assessments."""
    if not user.has_perm("patients.view_clinical", patient):
        return {}
    return {
        "frailty_history": patient.frailty_history.select_related("recorded_by")[:FRAILTY_SHOWN],
        "can_record_frailty": user.has_perm("patients.change_clinical", patient),
    }
