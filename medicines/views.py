"""Pages for home visits and medicines (htmx): the visit form with its live risk advice and
NEWS2, the medication list and reviews, the dispensing history with the red flags derived
from it, and My day. Reads go through medicines.selectors, writes through medicines.services;
every look at a person is written to the access trail (one insert per page)."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import JSONObject
from django.forms.utils import ErrorDict
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import access_record
from core.errors import Conflict
from core.forms import add_service_errors
from networks.access import member_required
from networks.current import current_membership
from networks.roles import Role
from patients.access import open_patient
from patients.involvement import refusal
from patients.models import CareNeed, Patient
from patients.notices import section_tag, to_section
from patients.restricted import may_restrict
from referrals.models import PatientFlag, RedFlag
from referrals.services import NO_CONSENT_TASK

from . import dispensing, services
from .forms import (
    MedicationForm,
    ObservationsForm,
    ReviewForm,
    RiskForm,
    SupplyForm,
    SupplyUploadForm,
    VisitForm,
    intervention_count,
    intervention_forms,
    intervention_template,
    news2_missing,
    nhs_classes,
)
from .models import Intervention, Medication, MedicationReview, Supply, Visit
from .selectors import (
    active_medications,
    allocatable_staff,
    care_home_stratification,
    my_day,
    seal_visits,
)

ESCALATED = (Visit.Escalation.URGENT, Visit.Escalation.EMERGENCY)
SUPPLIES_PAGE_SIZE = 50
VISITS_SHOWN = 25


def _forbidden(request, message: str, patient=None):
    """403; for a clinical member not involved in the person's care, how to proceed."""
    if patient is not None:
        message = refusal(request.user, patient) or message
    return render(request, "403.html", {"message": message}, status=403)


def _open(request, pk: int, what: str):
    return open_patient(user=request.user, pk=pk, what=what, channel="page", path=request.path)


def _seen(request, patients, what: str) -> None:
    """The people this page shows, to the access trail in one insert (each person once)."""
    unique = {p.pk: p for p in patients}
    access_record(
        user=request.user,
        patients=list(unique.values()),
        what=what,
        channel="page",
        path=request.get_full_path(),
    )


def _short_date(day) -> str:
    """ "30 Nov", with the year when it is not this year."""
    if day.year == timezone.localdate().year:
        return f"{day.day} {day:%b}"
    return f"{day.day} {day:%b %Y}"


def _quoted(label: str) -> str:
    return f"\u2018{label}\u2019"


def _clinical_network(request):
    """The current network when the user's role there sees clinical records, else None."""
    membership = current_membership(request)
    if membership is None or not request.user.has_perm(
        "medicines.view_medicines", membership.network
    ):
        return None
    return membership.network


# --- the visit form --------------------------------------------------------------------------


def _active_flag_ids(patient) -> set[int]:
    return set(
        PatientFlag.objects.filter(patient=patient, resolved_at__isnull=True).values_list(
            "flag_id", flat=True
        )
    )


def _news2_sentence(visit: Visit) -> str:
    if visit.news2_score is None:
        return "No observations for NEWS2."
    sentence = f"NEWS2 {visit.news2_score}"
    if not visit.news2_complete:
        sentence += " (partial)"
    if visit.news2_warning:
        sentence += f": {visit.get_news2_escalation_display().lower()}. {visit.news2_guidance}"
        if visit.news2_task is not None:
            sentence += (
                f" An urgent task, due today, went to the {services.escalation_role_label()} queue."
            )
        return sentence
    return sentence + "."


def _visit_message(logged, active_before: set[int], changes: int) -> str:
    """What the visit did: its NEWS2, the referrals its red flags raised, where the other
    flags went, changes to medicines and the follow-up task."""
    visit = logged.visit
    parts = ["Visit saved.", _news2_sentence(visit)]
    if logged.referrals:
        services_raised = ", ".join(r.service_label for r in logged.referrals)
        noun = "referrals" if len(logged.referrals) > 1 else "a referral"
        parts.append(f"Raised {noun} to {services_raised}.")
    raised_ids = {r.pk for r in logged.referrals}
    held = {f.pk for f in logged.held_for_consent}
    for patient_flag in logged.flags:
        label = _quoted(patient_flag.flag.label)
        if patient_flag.pk in held:
            parts.append(f"{label} was recorded. {NO_CONSENT_TASK}")
        elif patient_flag.flag_id in active_before:
            parts.append(f"{label} was already active; nothing new was raised.")
        elif patient_flag.referral_id and patient_flag.referral_id not in raised_ids:
            service = patient_flag.referral.service_label
            parts.append(f"{label} was added to the open {service} referral.")
    if changes:
        parts.append(
            f"{changes} change{'s' if changes != 1 else ''} to medicines recorded on the list."
        )
    if logged.task is not None:
        parts.append(f"Follow-up on {_short_date(logged.task.due_on)} for you.")
    parts.append(f"Risk assessment: {visit.recommended_kind} recommended.")
    return " ".join(parts)


def _visit_form_context(patient, form, rows, active, names):
    result, bad = form.news2()
    for each in (form, *rows):
        nhs_classes(each)  # the error style on the inputs at fault
    data = form.data if form.is_bound else {}
    return {
        "patient": patient,
        "form": form,
        "rows": rows,
        "row_template": intervention_template(active_names=names),
        "active_medications": active,
        "recommendation": form.recommendation(),
        "news2": result,
        "news2_missing": news2_missing(result) if result else [],
        "news2_bad": bad,
        "has_errors": bool(form.errors) or any(row.errors for row in rows),
        # A section opens when it holds something typed or an error (closed ones are skipped).
        "open": _open_sections(form, rows, data),
    }


VISIT_SECTIONS = {
    "risk": ("infection_risk", "lone_working_risk"),
    # spo2_scale is 1 unless changed: counted below, as the preference is
    "observations": tuple(name for name in services.OBSERVATIONS if name != "spo2_scale"),
    "red_flags": ("red_flags",),
    "follow_up": ("follow_up_on",),
    "restrict": ("restricted", "restricted_reason"),
}


def _open_sections(form, rows, data) -> set[str]:
    opened = set()
    for section, names in VISIT_SECTIONS.items():
        typed = any(value for key, value in data.items() if key.split("-")[0] in names and value)
        if typed or any(name in form.errors for name in names):
            opened.add(section)
    if data.get("preference") not in (None, "", Visit.Preference.NONE) or (
        "preference" in form.errors
    ):
        opened.add("risk")
    if data.get("spo2_scale") not in (None, "", "1") or "spo2_scale" in form.errors:
        opened.add("observations")
    if len(rows) > 1 or any(row.has_changed() or row.errors for row in rows):
        opened.add("changes")
    return opened


@member_required
@require_http_methods(["GET", "POST"])
def visit_create_view(request, pk: int):
    patient = _open(request, pk, "visit")
    if not request.user.has_perm("medicines.add_visit", patient):
        return _forbidden(request, "Your role may not log visits.", patient)
    active = list(active_medications(patient))
    names = {m.name.strip().lower() for m in active}
    data = request.POST if request.method == "POST" else None
    adding = data is not None and "add_row" in data  # "Add another" without the script
    form = VisitForm(data, patient=patient, user=request.user)
    count = intervention_count(data, add=1 if adding else 0)
    rows = intervention_forms(data, active_names=names, count=count)
    _seen(request, [patient], "visit_form")
    if adding:
        # One more row, what was typed kept, nothing saved and nothing yet called an error.
        for each in (form, *rows):
            each.is_valid()
            each._errors = ErrorDict()
    elif request.method == "POST":
        valid = [form.is_valid()] + [row.is_valid() for row in rows]  # every row checked
        if all(valid):
            cleaned = form.cleaned_data
            changes = [row.for_service() for row in rows if not row.is_blank]
            active_before = _active_flag_ids(patient)
            try:
                logged = services.visit_log(
                    patient=patient,
                    by=request.user,
                    kind=cleaned["kind"],
                    visited_at=cleaned["visited_at"],
                    summary=cleaned["summary"],
                    observations=form.observations(),
                    risk=form.risk(),
                    joint_visitor=cleaned["joint_visitor"],
                    red_flags=cleaned["red_flags"],
                    interventions=changes,
                    follow_up_on=cleaned["follow_up_on"],
                    restricted=cleaned["restricted"],
                    restricted_reason=cleaned["restricted_reason"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                # A NEWS2 escalation is a warning, not a plain confirmation; either is shown
                # at the top of the Visits section the user is taken to (patients.notices).
                return to_section(
                    request,
                    patient.pk,
                    "visits",
                    _visit_message(logged, active_before, len(changes)),
                    level=messages.WARNING if logged.visit.news2_warning else messages.SUCCESS,
                )
    context = _visit_form_context(patient, form, rows, active, names)
    return render(
        request, "medicines/visit_form.html", context, status=422 if context["has_errors"] else 200
    )


@member_required
@require_GET
def news2_preview_view(request):
    """The live NEWS2 of the observations typed so far (the visit form swaps it in)."""
    if _clinical_network(request) is None:
        return _forbidden(request, "Your role may not record observations.")
    form = ObservationsForm(request.GET)
    result, bad = form.news2()
    context = {
        "news2": result,
        "news2_missing": news2_missing(result) if result else [],
        "news2_bad": bad,
    }
    return render(request, "medicines/visit_form.html#news2", context)


@member_required
@require_GET
def recommendation_view(request):
    """The risk assessment's advice for the answers so far (the visit form swaps it in)."""
    if _clinical_network(request) is None:
        return _forbidden(request, "Your role may not log visits.")
    form = RiskForm(request.GET)
    return render(
        request,
        "medicines/visit_form.html#recommendation",
        {"recommendation": form.recommendation()},
    )


@member_required
@require_POST
def news2_acknowledge_view(request, pk: int, visit_id: int):
    """A clinician acknowledges a visit's NEWS2 escalation: its warning leaves the page."""
    patient = _open(request, pk, "news2_acknowledge")
    if not request.user.has_perm("medicines.acknowledge_news2", patient):
        return _forbidden(request, "Your role may not acknowledge NEWS2 escalations.", patient)
    visit = Visit.objects.filter(pk=visit_id, patient=patient).first()
    if visit is None:
        raise Http404("No such visit for this person.")
    try:
        services.visit_news2_acknowledge(visit=visit, by=request.user)
    except Conflict as exc:
        messages.error(request, exc.message, extra_tags=MEDICINES)
    else:
        messages.success(
            request,
            f"NEWS2 {visit.news2_score} from the visit on "
            f"{_short_date(timezone.localdate(visit.visited_at))} acknowledged.",
            extra_tags=MEDICINES,
        )
    return _to_medicines(patient)


# --- the medication list and reviews ----------------------------------------------------------


# Messages shown in the person page's Medicines section, where _to_medicines takes the user.
MEDICINES = section_tag("medicines")


def _to_medicines(patient):
    return redirect(reverse("patients:detail", args=[patient.pk]) + "#medicines")


@member_required
@require_http_methods(["GET", "POST"])
def medication_create_view(request, pk: int):
    patient = _open(request, pk, "medication_form")
    if not request.user.has_perm("medicines.change_medicines", patient):
        return _forbidden(request, "Your role may not change the medication list.", patient)
    form = MedicationForm(request.POST if request.method == "POST" else None)
    _seen(request, [patient], "medication_form")
    if request.method == "POST" and form.is_valid():
        try:
            medication = services.medication_add(
                patient=patient, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"{medication} {medication.dose_display} added to the medication list.",
                extra_tags=MEDICINES,
            )
            return _to_medicines(patient)
    return render(
        request,
        "medicines/medication_form.html",
        {"patient": patient, "form": form},
        status=422 if form.errors else 200,
    )


@member_required
@require_http_methods(["GET", "POST"])
def review_create_view(request, pk: int):
    patient = _open(request, pk, "review_form")
    if not request.user.has_perm("medicines.change_medicines", patient):
        return _forbidden(request, "Your role may not record medication reviews.", patient)
    form = ReviewForm(request.POST if request.method == "POST" else None)
    _seen(request, [patient], "review_form")
    if request.method == "POST" and form.is_valid():
        try:
            review = services.medication_review_record(
                patient=patient, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Medication review of {_short_date(review.reviewed_on)} recorded: "
                f"{review.get_outcome_display().lower()}.",
                extra_tags=MEDICINES,
            )
            return _to_medicines(patient)
    return render(
        request,
        "medicines/review_form.html",
        {"patient": patient, "form": form, "active_medications": active_medications(patient)},
        status=422 if form.errors else 200,
    )


# --- dispensing history ----------------------------------------------------------------------


def _findings_with_flags(patient, findings) -> list[dict]:
    """Each finding with its red flag's label and, when active, the flag on the person."""
    if not findings:
        return []
    codes = [f.code for f in findings]
    labels = dict(RedFlag.objects.filter(code__in=codes).values_list("code", "label"))
    active = {
        pf.flag.code: pf
        for pf in PatientFlag.objects.filter(
            patient=patient, resolved_at__isnull=True, flag__code__in=codes
        ).select_related("flag", "referral")
    }
    return [
        {"finding": f, "label": labels.get(f.code, f.code), "patient_flag": active.get(f.code)}
        for f in findings
    ]


@member_required
@require_http_methods(["GET", "POST"])
def dispensing_view(request, pk: int):
    """The dispensing history, newest first, with a form for one entry and one for a CSV;
    after either, the red flags derived from the history with their working."""
    patient = _open(request, pk, "dispensing")
    if not request.user.has_perm("medicines.view_medicines", patient):
        return _forbidden(request, "Your role may not see dispensing history.", patient)
    can_change = request.user.has_perm("medicines.change_medicines", patient)
    manual, upload, result = SupplyForm(), SupplyUploadForm(), None
    status = 200
    if request.method == "POST":
        if not can_change:
            return _forbidden(request, "Your role may not change dispensing history.", patient)
        which = request.POST.get("form")
        if which == "csv":
            upload = SupplyUploadForm(request.POST, request.FILES)
            form, source = upload, Supply.Source.CSV
        else:
            manual = SupplyForm(request.POST)
            form, source = manual, Supply.Source.MANUAL
        if form.is_valid():
            try:
                result = services.supplies_add(
                    patient=patient, by=request.user, rows=form.rows(), source=source
                )
            except ValidationError as exc:  # e.g. a date in the future: nothing was saved
                form.add_error("file" if which == "csv" else None, exc.messages)
                status = 422
            else:
                manual, upload = SupplyForm(), SupplyUploadForm()
        else:
            status = 422
    if result is not None:
        findings = result.findings
    else:
        findings = dispensing.analyse(
            Medication.objects.filter(patient=patient, stopped_on__isnull=True),
            Supply.objects.filter(patient=patient),
            timezone.localdate(),
        )
    page = Paginator(
        Supply.objects.filter(patient=patient).select_related("created_by"),
        SUPPLIES_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    _seen(request, [patient], "dispensing")
    context = {
        "patient": patient,
        "page": page,
        "supplies": list(page.object_list),
        "manual_form": manual,
        "upload_form": upload,
        "result": result,
        "findings": _findings_with_flags(patient, findings),
        "can_change": can_change,
        "active_medications": active_medications(patient) if can_change else [],
    }
    return render(request, "medicines/dispensing.html", context, status=status)


# --- My day ----------------------------------------------------------------------------------

REASON_LABELS = dict(CareNeed.choices)


def _care_rows(rows):
    return [
        {"patient": person, "reasons": [REASON_LABELS.get(r, r).capitalize() for r in reasons]}
        for person, reasons in rows
    ]


# Each of My day's lists shows its first MY_DAY_SHOWN rows in priority order, with the total
# and a link to all of them (?show=all): a network can have thousands awaiting a visit.
MY_DAY_SHOWN = 50


@member_required
@require_GET
def my_day_view(request):
    network = _clinical_network(request)
    if network is None:
        return _forbidden(request, "My day is for members whose role sees clinical records.")
    return _render_my_day(request, network)


def _render_my_day(request, network, *, error: tuple[int, str] | None = None, status: int = 200):
    """My day; `error` is (resident's pk, message) when an allocation was refused (422)."""
    show_all = request.GET.get("show") == "all"
    day = my_day(request.user, network, shown=None if show_all else MY_DAY_SHOWN)
    today = timezone.localdate()
    for action in day["follow_ups"]:
        action.overdue = action.due_on < today
    mine = request.GET.get("care") == "mine"
    groups = care_home_stratification(
        network,
        shown=None if show_all else MY_DAY_SHOWN,
        allocated_to=request.user.pk if mine else None,
    )

    lists = {
        "pharmacist": {
            "key": "pharmacist",
            "title": "For pharmacists",
            "hint": "Complex residents, high frailty, frequent hospital users, end of life care.",
            "rows": _care_rows(groups["pharmacist"]),
            "total": groups.totals["pharmacist"],
        },
        "technician": {
            "key": "technician",
            "title": "For technicians",
            "hint": "New and recently discharged residents, swallowing or adherence problems.",
            "rows": _care_rows(groups["technician"]),
            "total": groups.totals["technician"],
        },
    }
    role = current_membership(request).role
    own = "technician" if role == Role.PHARMACY_TECHNICIAN else "pharmacist"
    other = "pharmacist" if own == "technician" else "technician"
    care_lists = [lists[own], lists[other]]
    routine = _care_rows(groups["routine"])
    awaiting = day["awaiting_visit"]
    people = (
        [v.patient for v in day["visits_today"]]
        + [a.patient for a in day["follow_ups"]]
        + [r.patient for r in awaiting]
        + [row["patient"] for care in care_lists for row in care["rows"]]
        + [row["patient"] for row in routine]
    )
    _seen(request, people, "my_day")
    context = {
        "network": network,
        "today": today,
        "visits_today": day["visits_today"],
        "follow_ups": day["follow_ups"],
        "awaiting_visit": awaiting,
        "awaiting_total": day["awaiting_total"],
        "care_lists": care_lists,
        "routine": routine,
        "routine_total": groups.totals["routine"],
        "care_home_count": sum(groups.totals.values()),
        "shown": MY_DAY_SHOWN,
        "staff": list(allocatable_staff(network)),
        "can_allocate": request.user.has_perm("medicines.allocate_residents", network),
        "care_mine": mine,
        "allocation_error": error,
    }
    return render(request, "medicines/my_day.html", context, status=status)


@member_required
@require_POST
def resident_allocate_view(request, pk: int):
    """The medicines lead or the chair allocates a care-home resident to a named pharmacist or
    technician (My day's care-home lists); a refused choice shows My day again (422)."""
    membership = current_membership(request)
    network = membership.network
    if not request.user.has_perm("medicines.allocate_residents", network):
        return _forbidden(request, "Only the medicines lead or the chair allocates residents.")
    patient = Patient.objects.filter(pk=pk, network=network).select_related("care_home").first()
    if patient is None:
        raise Http404
    try:
        member_id = int(request.POST.get("member") or 0)
    except ValueError:
        member_id = 0
    try:
        allocation = services.resident_allocate(
            patient=patient, member_id=member_id, by=request.user
        )
    except ValidationError as exc:
        message = " ".join(m for messages_ in exc.message_dict.values() for m in messages_)
        return _render_my_day(request, network, error=(patient.pk, message), status=422)
    _seen(request, [patient], "allocation")
    who = allocation.member.user.get_full_name() or allocation.member.user.get_username()
    messages.success(request, f"{patient.full_name} is allocated to {who}.")
    return redirect(reverse("medicines:my_day") + "#care-homes")


# --- the person's page -----------------------------------------------------------------------


MEDICATION_FIELDS = [
    f.attname for f in Medication._meta.concrete_fields if f.attname not in ("patient_id",)
]


def _medications_and_latest_review(patient) -> tuple[list[Medication], MedicationReview | None]:
    """The whole medication list and the latest review in one query: the person's row,
    joined to each medication line (or one row of nulls when there are none), with the
    latest review alongside as JSON."""
    latest_review = (
        MedicationReview.objects.filter(patient=OuterRef("pk"))
        .order_by("-reviewed_on", "-id")
        .values(
            json=JSONObject(
                id="id",
                reviewed_on="reviewed_on",
                outcome="outcome",
                agreed_actions="agreed_actions",
                reviewer_first="reviewer__first_name",
                reviewer_last="reviewer__last_name",
                reviewer_username="reviewer__username",
            )
        )[:1]
    )
    rows = list(
        Patient.objects.filter(pk=patient.pk)
        .annotate(latest_review=Subquery(latest_review))
        .values("latest_review", *(f"medications__{name}" for name in MEDICATION_FIELDS))
        .order_by("medications__name", "medications__id")
    )
    medications = [
        Medication(
            patient=patient, **{name: row[f"medications__{name}"] for name in MEDICATION_FIELDS}
        )
        for row in rows
        if row["medications__id"] is not None
    ]
    data = rows[0]["latest_review"] if rows else None
    review = None
    if data:
        review = MedicationReview(
            pk=data["id"],
            patient=patient,
            reviewed_on=datetime.date.fromisoformat(data["reviewed_on"]),
            outcome=data["outcome"],
            agreed_actions=data["agreed_actions"],
        )
        name = f"{data['reviewer_first']} {data['reviewer_last']}".strip()
        review.reviewer_label = name or data["reviewer_username"]
    return medications, review


def patient_medicines_context(user, patient) -> dict:
    """The person page's "Medicines" and "Visits" sections, for the roles that may see them
    (none for the PIC, managers and partner systems). Three queries however many medicines
    and visits (the medicines, the visits, their changes to medicines)."""
    if not user.has_perm("medicines.view_medicines", patient):
        return {"medicines_visible": False}
    medications, review = _medications_and_latest_review(patient)
    # The latest visits and any older one whose NEWS2 escalation is not yet acknowledged, in
    # one query: the first rows in visit order are the latest, the rest only warn.
    latest = Visit.objects.filter(patient=patient).order_by("-visited_at", "-id")
    shown = Visit.objects.filter(patient=patient).filter(
        Q(pk__in=latest.values("pk")[: VISITS_SHOWN + 1])
        | Q(news2_acknowledged_at__isnull=True, news2_escalation__in=ESCALATED)
    )
    rows = list(
        shown.select_related(
            "visitor", "joint_visitor", "follow_up_action", "news2_acknowledged_by", "restricted_by"
        ).order_by("-visited_at", "-id")
    )
    # Their changes to medicines by the visits' own condition, not their ids: one query with
    # or without visits (a prefetch is skipped when there are none).
    changes: dict[int, list[Intervention]] = {}
    for intervention in Intervention.objects.filter(visit__in=shown.values("pk")):
        changes.setdefault(intervention.visit_id, []).append(intervention)
    for visit in rows:
        visit.changes = changes.get(visit.pk, [])
    seal_visits(user, rows, patient=patient)
    for visit in rows:
        visit.can_restrict = may_restrict(user, patient=patient, author_id=visit.visitor_id)
    visits = rows[: VISITS_SHOWN + 1]
    return {
        "news2_warnings": [v for v in rows if v.news2_warning],
        "can_acknowledge_news2": user.has_perm("medicines.acknowledge_news2", patient),
        "medicines_visible": True,
        "medications_active": [m for m in medications if m.stopped_on is None],
        "medications_stopped": sorted(
            (m for m in medications if m.stopped_on is not None),
            key=lambda m: (m.stopped_on, m.pk),
            reverse=True,
        ),
        "medication_review": review,
        "visits": visits[:VISITS_SHOWN],
        "visits_more": len(visits) > VISITS_SHOWN,
        "visits_shown": VISITS_SHOWN,
        "can_log_visit": user.has_perm("medicines.add_visit", patient),
        "can_break_glass": user.has_perm("patients.break_glass", patient),
        "can_change_medicines": user.has_perm("medicines.change_medicines", patient),
    }
