"""The people behind a number on the dashboard: which metrics and parameters a drill-down
link may carry, the Patient queryset for each (counted exactly as `reports.figures` counts
the number), and a sentence saying what the list is.

`reports.figures.people` answers most metrics; the ones it does not (referrals by source,
triaged referrals, discharges, visits, people discussed, meeting actions) are answered here
with the same querysets the figures use."""

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from actions.models import Action
from huddles.models import AgendaItem, Meeting
from medicines.models import Visit
from patients.models import Goal, Patient
from referrals.models import RedFlag, Referral

from . import figures
from .figures import ANSWERS, SOURCE_LABELS, Scope, parse_month
from .tables import scope_service_labels, service_label

ACTION_STATES = {
    "due": "due in the period",
    "on_time": "done on time",
    "late": "done late",
    "overdue": "still open and overdue",
    "open": "still open, not yet due",
}
REFERRAL_STATUSES = {
    "waiting": "waiting for triage",
    "accepted": "accepted",
    "declined": "declined",
    "withdrawn": "withdrawn",
}
METRICS = (
    "avoided",
    "discharged",
    "admitted",
    "followed",
    "goals",
    "referrals",
    "triaged",
    "caseload",
    "visits",
    "flags",
    "discussed",
    "actions",
)
# The parameters a link may carry besides the filters (network, from, to, service).
PARAMS = ("answer", "month", "days", "status", "reason", "source", "code", "outcome", "visitor")


class BadDrilldown(ValueError):
    """The link names no number on the dashboard."""


def clean_params(scope: Scope, metric: str, raw) -> dict[str, str]:
    """The drill-down parameters from a query dict, checked; BadDrilldown otherwise."""

    if metric not in METRICS:
        raise BadDrilldown("Unknown number.")
    params = {name: raw.get(name, "").strip() for name in PARAMS if raw.get(name, "").strip()}
    checks = {
        "answer": lambda v: v in (*ANSWERS, "all"),
        "month": lambda v: _month_in(scope, v),
        "days": lambda v: v in ("30", "90"),
        "status": lambda v: v in REFERRAL_STATUSES or v in ACTION_STATES,
        "reason": lambda v: v in Referral.DeclineReason.values,
        "source": lambda v: v in SOURCE_LABELS,
        "code": lambda v: len(v) <= 60,
        "outcome": lambda v: v in Goal.Outcome.values,
        "visitor": str.isdigit,
    }
    for name, value in params.items():
        if not checks[name](value):
            raise BadDrilldown(f"Bad {name}.")
    if metric in ("admitted", "followed") and "days" not in params:
        raise BadDrilldown("Say 30 or 90 days.")
    if metric == "visits" and "visitor" not in params:
        raise BadDrilldown("Say whose visits.")
    if params.get("answer") == "all":
        del params["answer"]
    return params


def _month_in(scope: Scope, text: str) -> bool:
    try:
        return f"{parse_month(text):%Y-%m}" in scope.months()
    except ValueError:
        return False


def people_behind(
    scope: Scope, metric: str, params: dict[str, str], today: date | None = None
) -> QuerySet:
    """The people behind one number (as of `today`, by default the London day), ordered by
    name, with their network."""

    today = today or timezone.localdate()

    patients = Patient.objects.filter(network_id__in=scope.network_ids)
    if metric == "discharged":
        ids = _discharges(scope, params).values("patient_id")
    elif metric == "followed":
        days = int(params["days"])
        ids = (
            _discharges(scope, params, annotate=True)
            .filter(**{f"closed_plus_{days}__lte": today})
            .values("patient_id")
        )
    elif metric == "referrals":
        ids = _referrals(scope, params).values("patient_id")
    elif metric == "triaged":
        ids = figures._referrals(scope).filter(triaged_at__isnull=False).values("patient_id")
    elif metric == "visits":
        ids = _visits(scope, int(params["visitor"])).values("patient_id")
    elif metric == "discussed":
        ids = _discussed(scope, params.get("month")).values("patient_id")
    elif metric == "actions":
        ids = _actions(scope, params.get("status", "due"), today).values("patient_id")
    else:
        figure_params = {k: v for k, v in params.items() if k != "status"}
        ids = figures.people(scope, metric, today=today, **figure_params).values("pk")
    return (
        patients.filter(pk__in=ids)
        .select_related("network")
        .order_by("family_name", "given_name", "pk")
    )


def _discharges(scope: Scope, params: dict, annotate: bool = False):
    episodes = figures._discharges(scope) if annotate else figures._episodes(scope)
    answer = params.get("answer")
    if answer == "unsure":  # the figure counts a missing answer as "unsure"
        episodes = episodes.filter(admission_avoided__in=["unsure", ""])
    elif answer:
        episodes = episodes.filter(admission_avoided=answer)
    return episodes


def _referrals(scope: Scope, params: dict):

    Status = Referral.Status
    referrals = figures._referrals(scope)
    status = params.get("status")
    if status == "waiting":
        referrals = referrals.filter(status=Status.NEW)
    elif status == "accepted":
        referrals = referrals.filter(status__in=[Status.ACCEPTED, Status.COMPLETED])
    elif status in ("declined", "withdrawn"):
        referrals = referrals.filter(status=status)
    if params.get("reason"):
        referrals = referrals.filter(status=Status.DECLINED, decline_reason=params["reason"])
    source = params.get("source")
    if source == "red_flag":
        referrals = referrals.filter(origin=Referral.Origin.RED_FLAG)
    elif source == "member":
        referrals = referrals.exclude(origin=Referral.Origin.RED_FLAG).filter(
            source_organisation__isnull=True
        )
    elif source:
        referrals = referrals.exclude(origin=Referral.Origin.RED_FLAG).filter(
            source_organisation__kind=source
        )
    return referrals


def _visits(scope: Scope, visitor_id: int):

    return Visit.objects.filter(network_id__in=scope.network_ids, visitor_id=visitor_id).filter(
        scope.in_period("visited_at")
    )


def _discussed(scope: Scope, month: str | None):

    period = scope
    if month:
        first = parse_month(month)
        period = Scope(scope.network_ids, first, first)
    return AgendaItem.objects.filter(
        status=AgendaItem.Status.DISCUSSED,
        meeting__network_id__in=scope.network_ids,
        meeting__status=Meeting.Status.CLOSED,
    ).filter(period.in_period("meeting__starts_at"))


def _actions(scope: Scope, state: str, today: date | None = None):
    from django.db.models import F

    today = today or timezone.localdate()
    actions = Action.objects.filter(
        network_id__in=scope.network_ids,
        agenda_item__isnull=False,
        due_on__gte=scope.first,
        due_on__lt=scope.end_day,
    ).annotate(done_on=figures._local_day("done_at"))
    states = {
        "due": Q(),
        "on_time": Q(status="done", done_on__lte=F("due_on")),
        "late": Q(status="done", done_on__gt=F("due_on")),
        "overdue": Q(status="open", due_on__lt=today),
        "open": Q(status="open", due_on__gte=today),
    }
    return actions.filter(states.get(state, Q()))


# --- what the list is, in words ------------------------------------------------------------------


def describe(scope: Scope, metric: str, params: dict[str, str], meetings: str) -> str:
    """A sentence for the list's heading, e.g. "Referred to Medicines optimisation by a GP
    practice, declined (Inappropriate for this service)". `meetings` is the word for the
    MDT meeting ("huddle", or "meeting" across networks)."""

    month = f" in {parse_month(params['month']):%B %Y}" if params.get("month") else ""
    answer = params.get("answer")
    answered = f" (the MDT answered “{answer}”)" if answer else ""
    if metric == "avoided":
        return f"Discharged from the MDT caseload{month}{answered}"
    if metric == "discharged":
        return f"Discharged from the MDT caseload{answered}"
    if metric == "admitted":
        return f"An emergency admission within {params['days']} days of discharge{answered}"
    if metric == "followed":
        return f"Discharged at least {params['days']} days ago{answered}"
    if metric == "goals":
        outcome = params.get("outcome")
        label = Goal.Outcome(outcome).label.lower() if outcome else ""
        return "A goal agreed with them" + (f", {label}" if label else "")
    if metric in ("referrals", "triaged"):
        labels = scope_service_labels(scope.network_ids) if scope.service else {}
        service = f" to {service_label(scope.service, labels)}" if scope.service else ""
        if metric == "triaged":
            return f"Referred{service} and triaged"
        source = params.get("source")
        text = f"Referred{service}"
        if source:
            text += f", from: {SOURCE_LABELS[source]}"
        if params.get("status"):
            text += f", {REFERRAL_STATUSES.get(params['status'], params['status'])}"
        if params.get("reason"):
            text += f" ({Referral.DeclineReason(params['reason']).label})"
        return text
    if metric == "caseload":
        return "On the MDT caseload now"
    if metric == "visits":
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=params["visitor"]).first()
        name = (user.get_full_name() or user.get_username()) if user else "a pharmacist"
        return f"Visited by {name}"
    if metric == "flags":
        code = params.get("code")
        flag = RedFlag.objects.filter(code=code).first() if code else None
        what = f"the red flag “{flag.label if flag else code}”" if code else "a red flag"
        return f"Raised {what}{month}"
    if metric == "discussed":
        return f"Discussed at a {meetings}{month}"
    if metric == "actions":
        state = ACTION_STATES.get(params.get("status", "due"), "")
        return f"An action agreed at a {meetings}, due in the period, {state}"
    return metric
