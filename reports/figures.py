"""The dashboard's figures: aggregates in SQL (grouped in the database, never per row in
Python), for a scope of networks, a period of whole months in Europe/London, and optionally
one service. Each figure can also name the people behind any of its numbers (`people`).

Months are calendar months in Europe/London: an episode closed at 00:30 BST on 1 April is
April's. Working days are England and Wales' (weekends and bank holidays excluded), counted
through the calendar table `reports.CalendarDay`."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import (
    Count,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    Value,
)
from django.db.models.aggregates import Aggregate
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from actions.models import Action
from core.replica import read_alias
from huddles.models import Episode
from medicines.models import Visit
from networks.roles import Role
from patients.models import Goal, Patient
from referrals.models import PatientFlag, Referral

from . import contact, followed, stored, tally
from .models import AdmissionEvent, CalendarDay

LONDON = ZoneInfo("Europe/London")
ANSWERS = ("yes", "no", "unsure")


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont: the continuous percentile of an expression."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


@dataclass(frozen=True)
class Scope:
    """What a report covers: networks (ids), whole months `first`..`last` (first days of
    months, inclusive), and optionally one service (for the referral figures)."""

    network_ids: tuple[int, ...]
    first: date
    last: date
    service: str = ""

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=LONDON)

    @property
    def end_day(self) -> date:
        """The first day after the period."""
        return _next_month(self.last)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.end_day, time(), tzinfo=LONDON)

    def months(self) -> list[str]:
        months, month = [], self.first
        while month <= self.last:
            months.append(f"{month:%Y-%m}")
            month = _next_month(month)
        return months

    def in_period(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def parse_month(text: str) -> date:
    """ "YYYY-MM" -> the first day of that month (ValueError otherwise)."""
    year, month = text.split("-")
    if len(year) != 4 or len(month) != 2:
        raise ValueError(text)
    return date(int(year), int(month), 1)


def _month(field: str):
    return TruncMonth(field, tzinfo=LONDON)


def _key(month) -> str:
    return f"{timezone.localtime(month, LONDON) if isinstance(month, datetime) else month:%Y-%m}"


def _local_day(field: str):
    return TruncDate(field, tzinfo=LONDON)


# --- admissions avoided: the MDT's own estimate ------------------------------------------------


def _episodes(scope: Scope):

    return Episode.objects.filter(network_id__in=scope.network_ids).filter(
        scope.in_period("closed_at")
    )


def admissions_avoided(scope: Scope) -> list[dict]:
    """Per month, the answers to "have we avoided an admission?" at discharge. Read from the
    counts kept as episodes change (reports/stored.py); `admissions_avoided_counted`
    computes the same from the episodes."""
    rows = {m: {"month": m, "yes": 0, "no": 0, "unsure": 0} for m in scope.months()}
    for month, answer, n in stored.discharges(scope):
        rows[_key(month)][answer] = n
    return list(rows.values())


def admissions_avoided_counted(scope: Scope) -> list[dict]:
    """admissions_avoided, counted from the episodes themselves (rebuild and tests compare)."""
    rows = {m: {"month": m, "yes": 0, "no": 0, "unsure": 0} for m in scope.months()}
    for row in (
        _episodes(scope)
        .exclude(admission_avoided="")
        .annotate(month=_month("closed_at"))
        .values("month", "admission_avoided")
        .annotate(n=Count("id"))
    ):
        rows[_key(row["month"])][row["admission_avoided"]] = row["n"]
    return list(rows.values())


# --- what actually happened after discharge ------------------------------------------------------


def _admitted_within(days: int):

    return Exists(
        AdmissionEvent.objects.filter(
            patient_id=OuterRef("patient_id"),
            kind=AdmissionEvent.Kind.EMERGENCY,
            admitted_on__gt=OuterRef("closed_on"),
            admitted_on__lte=OuterRef(f"closed_plus_{days}"),
        )
    )


def _discharges(scope: Scope):
    return _episodes(scope).annotate(
        closed_on=_local_day("closed_at"),
        closed_plus_30=ExpressionWrapper(
            _local_day("closed_at") + timedelta(days=30), output_field=DateField()
        ),
        closed_plus_90=ExpressionWrapper(
            _local_day("closed_at") + timedelta(days=90), output_field=DateField()
        ),
    )


def admissions_after_discharge(scope: Scope, today: date | None = None) -> list[dict]:
    """For each answer (and all): people discharged in the period, and how many had an
    emergency admission within 30 and 90 days. Only discharges whose 30 (90) days have
    passed count towards that column, so a recent discharge never looks like a success. Read
    from the counts kept as episodes and admissions change (reports/followed.py);
    `admissions_after_discharge_counted` computes the same from the episodes."""
    today = today or timezone.localdate()
    return _after(followed.after_discharge(scope, today))


def admissions_after_discharge_counted(scope: Scope, today: date | None = None) -> list[dict]:
    """admissions_after_discharge, counted from the episodes and admissions themselves."""
    today = today or timezone.localdate()
    return _after(stored.after_discharge(scope, today))


def _after(counted) -> list[dict]:
    rows = {a: _after_row(a) for a in (*ANSWERS, "all")}
    names = ("discharged", "followed_30", "admitted_30", "followed_90", "admitted_90")
    for answer, *counts in counted:
        for key in (answer or "unsure", "all"):
            if key not in rows:
                continue
            for name, n in zip(names, counts, strict=True):
                rows[key][name] += n
    return list(rows.values())


def _after_row(answer: str) -> dict:
    return {
        "answer": answer,
        "discharged": 0,
        "followed_30": 0,
        "admitted_30": 0,
        "followed_90": 0,
        "admitted_90": 0,
    }


# --- referrals ----------------------------------------------------------------------------------


def _referrals(scope: Scope):

    referrals = Referral.objects.filter(network_id__in=scope.network_ids).filter(
        scope.in_period("created_at")
    )
    if scope.service:
        referrals = referrals.filter(service=scope.service)
    return referrals


def referral_source(origin: str, organisation_kind: str | None) -> str:
    if origin == "red_flag":
        return "red_flag"
    return organisation_kind or "member"


SOURCE_LABELS = {
    "member": "A member of the network",
    "red_flag": "A red flag",
    "nhs_trust": "NHS trust (outside the network)",
    "gp_practice": "GP practice (outside the network)",
    "council": "Council (outside the network)",
    "voluntary_sector": "Voluntary sector (outside the network)",
    "care_home": "Care home (outside the network)",
}


def referrals_in(scope: Scope) -> list[dict]:
    """Referrals made in the period per service and source: how many, accepted, declined
    (by reason), completed, withdrawn, waiting, and the inappropriate-referral rate
    (declined as inappropriate / triaged). Read from the counts kept as referrals change
    (reports/tally.py); `referrals_in_counted` computes the same from the referrals."""
    return _with_rates(tally.counts(scope))


def _with_rates(rows: list[dict]) -> list[dict]:
    for row in rows:
        triaged = row["accepted"] + row["declined"]
        row["inappropriate_rate"] = (
            round(row["declined_inappropriate"] / triaged, 3) if triaged else None
        )
    return rows


def referrals_in_counted(scope: Scope) -> list[dict]:
    """referrals_in, counted from the referrals themselves (rebuild and tests compare)."""

    Status, Reason = Referral.Status, Referral.DeclineReason
    counts = {
        "total": Count("id"),
        "waiting": Count("id", filter=Q(status=Status.NEW)),
        "accepted": Count("id", filter=Q(status__in=[Status.ACCEPTED, Status.COMPLETED])),
        "declined": Count("id", filter=Q(status=Status.DECLINED)),
        "withdrawn": Count("id", filter=Q(status=Status.WITHDRAWN)),
        **{
            f"declined_{reason}": Count("id", filter=Q(decline_reason=reason))
            for reason in Reason.values
        },
    }
    rows = []
    for row in (
        _referrals(scope)
        .values("service", "origin", "source_organisation__kind")
        .annotate(**counts)
        .order_by("service")
    ):
        source = referral_source(row.pop("origin"), row.pop("source_organisation__kind"))
        merged = next(
            (r for r in rows if r["service"] == row["service"] and r["source"] == source), None
        )
        if merged is None:
            rows.append({"source": source, **row})
        else:
            for name in counts:
                merged[name] += row[name]
    return _with_rates(sorted(rows, key=lambda r: (r["service"], r["source"])))


TRIAGE_SQL = """
SELECT r.service, GROUPING(r.service) AS overall, count(*) AS triaged,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY t.working_index - m.working_index),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY t.working_index - m.working_index)
  FROM referrals_referral r
  LEFT JOIN reports_calendarday m ON m.day = (r.created_at AT TIME ZONE 'Europe/London')::date
  LEFT JOIN reports_calendarday t ON t.day = (r.triaged_at AT TIME ZONE 'Europe/London')::date
 WHERE r.network_id = ANY(%(networks)s)
   AND r.created_at >= %(start)s AND r.created_at < %(end)s
   AND r.triaged_at IS NOT NULL {service}
 GROUP BY GROUPING SETS ((r.service), ())
 ORDER BY GROUPING(r.service), r.service
"""


def _referral_statement(template: str, scope: Scope) -> tuple[str, dict]:
    """A referral figure's SQL for the scope (narrowed to its service, if any) and its
    parameters."""
    sql = template.format(service="AND r.service = %(service)s" if scope.service else "")
    params = {
        "networks": list(scope.network_ids),
        "start": scope.start,
        "end": scope.end,
        "service": scope.service,
    }
    return sql, params


def triage_times(scope: Scope) -> list[dict]:
    """Working days from referral to triage (accepted or declined), per service and over
    all: median and 90th percentile, for referrals made in the period and triaged. From the
    counts kept per number of working days (reports/tally.py), so the percentiles are exact;
    `triage_times_counted` computes the same from the referrals."""
    services = tally.triage_histogram(scope)
    rows, everything = [], {}
    for service in sorted(services):
        histogram = services[service]
        for days, n in histogram.items():
            everything[days] = everything.get(days, 0) + n
        rows.append(_triage_row(service, histogram))
    return [*rows, _triage_row("all", everything)]


def _triage_row(service: str, histogram: dict) -> dict:
    return {
        "service": service,
        "triaged": sum(histogram.values()),
        "median": tally.percentile(histogram, 0.5),
        "p90": tally.percentile(histogram, 0.9),
    }


def triage_times_counted(scope: Scope) -> list[dict]:
    """Working days from referral to triage (accepted or declined), per service and over
    all: median and 90th percentile, for referrals made in the period and triaged.

    One statement, one pass: the calendar table is joined on each end's London day (a hash
    join, not a lookup per row) and the per-service and overall figures are grouping sets
    of the same scan. A day missing from the calendar counts as triaged but has no wait."""
    sql, params = _referral_statement(TRIAGE_SQL, scope)
    rows, overall = [], {"service": "all", "triaged": 0, "median": None, "p90": None}
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        for service, is_overall, triaged, median, p90 in cursor.fetchall():
            row = {"service": service, "triaged": triaged, "median": median, "p90": p90}
            if is_overall:
                overall = {**row, "service": "all"}
            else:
                rows.append(row)
    rows.append(overall)
    return rows


CONTACT_SQL = """
WITH contact AS MATERIALIZED (
  SELECT r.service, r.triaged_at, LEAST(v.first_at, a.first_at) AS first_at
    FROM referrals_referral r
    LEFT JOIN LATERAL (
      SELECT min(v.visited_at) AS first_at FROM medicines_visit v
       WHERE v.patient_id = r.patient_id AND v.visited_at >= r.triaged_at) v ON true
    LEFT JOIN LATERAL (
      SELECT min(a.done_at) AS first_at FROM actions_action a
       WHERE a.patient_id = r.patient_id AND a.status = 'done'
         AND a.done_at >= r.triaged_at) a ON true
   WHERE r.network_id = ANY(%(networks)s)
     AND r.created_at >= %(start)s AND r.created_at < %(end)s
     AND r.status IN ('accepted', 'completed') {service}
)
SELECT c.service, count(*), count(c.first_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY f.working_index - t.working_index),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY f.working_index - t.working_index)
  FROM contact c
  LEFT JOIN reports_calendarday t ON t.day = (c.triaged_at AT TIME ZONE 'Europe/London')::date
  LEFT JOIN reports_calendarday f ON f.day = (c.first_at AT TIME ZONE 'Europe/London')::date
 GROUP BY c.service
"""


def service_waits(scope: Scope) -> list[dict]:
    """Per service: the waiting list now (referrals new or accepted, not yet completed,
    declined or withdrawn) and, for referrals made in the period and accepted, the working
    days from acceptance to first contact: the person's first visit (medicines) or task done
    after the acceptance, whichever came first (median and 90th percentile of those
    contacted). Both read from counts kept as referrals, visits and tasks change
    (reports/tally.py, reports/contact.py), so the percentiles are exact;
    `service_waits_counted` computes the same from the referrals, visits and tasks."""
    contacted = {
        service: (accepted, reached, tally.percentile(days, 0.5), tally.percentile(days, 0.9))
        for service, (accepted, reached, days) in contact.histograms(scope).items()
    }
    return _service_wait_rows(tally.waiting(scope), contacted)


def service_waits_counted(scope: Scope) -> list[dict]:
    """service_waits with first contact computed (one statement, each referral's first
    visit and task looked up once): rebuild checks and tests compare."""
    sql, params = _referral_statement(CONTACT_SQL, scope)
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        contacted = {row[0]: row[1:] for row in cursor.fetchall()}
    return _service_wait_rows(tally.waiting(scope), contacted)


def _service_wait_rows(waiting: dict, contacted: dict) -> list[dict]:
    rows = []
    for service in sorted(waiting.keys() | contacted.keys()):
        new, accepted = waiting.get(service, (0, 0))
        accepted_in_period, contacts, median, p90 = contacted.get(service, (0, 0, None, None))
        rows.append(
            {
                "service": service,
                "waiting_new": new,
                "waiting_accepted": accepted,
                "waiting": new + accepted,
                "accepted": accepted_in_period,
                "contacted": contacts,
                "first_contact_median": median,
                "first_contact_p90": p90,
            }
        )
    return rows


# --- the caseload -------------------------------------------------------------------------------


def caseload(scope: Scope, now: datetime | None = None) -> dict:
    """People on the MDT caseload now, and the median days on it of those discharged in the
    period (and of those still on it, so far)."""

    now = now or timezone.now()
    days = _days(F("closed_at") - F("opened_at"))
    open_days = _days(Value(now, output_field=DateTimeField()) - F("opened_at"))
    active = Episode.objects.filter(
        network_id__in=scope.network_ids, closed_at__isnull=True, opened_at__lte=now
    ).aggregate(n=Count("id"), median=Percentile(open_days, 0.5))
    # Counted by closed_at, not id: read from the index "episode_closed" alone.
    closed = _episodes(scope).aggregate(n=Count("closed_at"), median=Percentile(days, 0.5))
    return {
        "active": active["n"],
        "active_median_days": _round(active["median"]),
        "discharged": closed["n"],
        "discharged_median_days": _round(closed["median"]),
    }


def _days(interval) -> Func:
    """An interval in days (fractional)."""
    return Func(
        interval,
        template="EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0",
        output_field=FloatField(),
    )


def _round(value):
    return None if value is None else round(value, 1)


# --- visits ------------------------------------------------------------------------------------


def working_days_in(scope: Scope, today: date | None = None) -> int:
    """Working days in the period, up to and including today."""

    today = today or timezone.localdate()
    last = min(scope.end_day - timedelta(days=1), today)
    return CalendarDay.objects.filter(day__gte=scope.first, day__lte=last, working=True).count()


PHARMACY_ROLES = (Role.PHARMACIST, Role.PHARMACY_TECHNICIAN)


def visits_per_pharmacist(scope: Scope, today: date | None = None) -> dict:
    """Visits made by each pharmacist (and pharmacy technician) in the period, per working
    day of the period so far. Read from the counts kept as visits change
    (reports/stored.py), with each visitor's role in the visit's network now;
    `visits_per_pharmacist_counted` computes the same from the visits."""
    return _per_pharmacist(scope, today, stored.visits_by_visitor(scope, PHARMACY_ROLES))


def visits_per_pharmacist_counted(scope: Scope, today: date | None = None) -> dict:
    """visits_per_pharmacist, counted from the visits themselves (rebuild and tests compare)."""
    # The visitor's role in the visit's network: a join (one membership per user and
    # network), not a lookup per visit.
    rows = list(
        Visit.objects.filter(network_id__in=scope.network_ids)
        .filter(scope.in_period("visited_at"))
        .filter(
            visitor__memberships__network_id=F("network_id"),
            visitor__memberships__role__in=PHARMACY_ROLES,
        )
        .annotate(role=F("visitor__memberships__role"))
        .values(
            "visitor_id", "visitor__first_name", "visitor__last_name", "visitor__username", "role"
        )
        .annotate(visits=Count("id"))
        .order_by("-visits", "visitor__last_name")
    )
    return _per_pharmacist(scope, today, rows)


def _per_pharmacist(scope: Scope, today: date | None, rows: list[dict]) -> dict:
    working_days = working_days_in(scope, today)
    people = [
        {
            "user_id": row["visitor_id"],
            "name": f"{row['visitor__first_name']} {row['visitor__last_name']}".strip()
            or row["visitor__username"],
            "role": row["role"],
            "visits": row["visits"],
            "per_working_day": round(row["visits"] / working_days, 2) if working_days else None,
        }
        for row in rows
    ]
    total = sum(p["visits"] for p in people)
    return {
        "working_days": working_days,
        "pharmacists": people,
        "visits": total,
        "per_pharmacist_per_working_day": (
            round(total / (len(people) * working_days), 2) if people and working_days else None
        ),
    }


# --- red flags ----------------------------------------------------------------------------------


def red_flags_by_month(scope: Scope) -> list[dict]:
    """Red flags raised per code per month. Read from the counts kept as flags change
    (reports/stored.py); `red_flags_by_month_counted` computes the same from the flags."""
    return _flags_by_code(scope, stored.red_flags(scope))


def red_flags_by_month_counted(scope: Scope) -> list[dict]:
    """red_flags_by_month, counted from the flags themselves (rebuild and tests compare)."""

    rows = (
        PatientFlag.objects.filter(patient__network_id__in=scope.network_ids)
        .filter(scope.in_period("raised_at"))
        .annotate(month=_month("raised_at"))
        .values("flag__code", "flag__label", "month")
        .annotate(n=Count("id"))
        .order_by("flag__code", "month")
    )
    return _flags_by_code(
        scope, [(r["flag__code"], r["flag__label"], r["month"], r["n"]) for r in rows]
    )


def _flags_by_code(scope: Scope, rows) -> list[dict]:
    codes: dict[str, dict] = {}
    for code, label, month, n in rows:
        entry = codes.setdefault(code, {"code": code, "label": label, "months": {}, "total": 0})
        entry["months"][_key(month)] = n
        entry["total"] += n
    months = scope.months()
    for entry in codes.values():
        entry["months"] = [{"month": m, "n": entry["months"].get(m, 0)} for m in months]
    return sorted(codes.values(), key=lambda e: (-e["total"], e["code"]))


# --- meetings and actions -----------------------------------------------------------------------


def meetings(scope: Scope, today: date | None = None) -> dict:
    """Meetings held (closed) per month, people discussed per meeting, and actions agreed
    at meetings and due in the period: done on time, done late, still open and overdue."""

    today = today or timezone.localdate()
    months, per_meeting = stored.meetings_held(scope)
    by_month = {m: {"month": m, "held": 0, "discussed": 0} for m in scope.months()}
    for month, (held, discussed) in months.items():
        by_month[_key(month)].update(held=held, discussed=discussed)
    on_time = stored.actions_agreed(scope, today)
    return {
        "by_month": list(by_month.values()),
        "held": per_meeting["meetings"],
        "discussed_per_meeting_mean": _round(per_meeting["mean"]),
        "discussed_per_meeting_median": _round(per_meeting["median"]),
        "actions": on_time,
    }


def actions_agreed_counted(scope: Scope, today: date | None = None) -> dict:
    """meetings' actions, counted from the actions themselves (rebuild and tests compare)."""
    today = today or timezone.localdate()
    actions = Action.objects.filter(
        network_id__in=scope.network_ids,
        agenda_item__isnull=False,
        due_on__gte=scope.first,
        due_on__lt=scope.end_day,
    ).annotate(done_on=_local_day("done_at"))
    return actions.aggregate(
        due=Count("id"),
        on_time=Count("id", filter=Q(status="done", done_on__lte=F("due_on"))),
        late=Count("id", filter=Q(status="done", done_on__gt=F("due_on"))),
        overdue=Count("id", filter=Q(status="open", due_on__lt=today)),
        open=Count("id", filter=Q(status="open", due_on__gte=today)),
    )


# --- personal outcomes --------------------------------------------------------------------------


def goals(scope: Scope) -> dict:
    """Goals agreed with people ("what matters to me") in the period, and their outcomes.
    Read from the counts kept as goals change (reports/stored.py); `goals_counted` computes
    the same from the goals."""
    outcomes = stored.goal_outcomes(scope)
    counts = {"agreed": sum(outcomes.values())}
    counts.update({o: outcomes.get(o, 0) for o in Goal.Outcome.values})
    return _with_met_rate(counts)


def goals_counted(scope: Scope) -> dict:
    """goals, counted from the goals themselves (rebuild and tests compare)."""

    agreed = Goal.objects.filter(
        patient__network_id__in=scope.network_ids,
        agreed_on__gte=scope.first,
        agreed_on__lt=scope.end_day,
    )
    counts = agreed.aggregate(
        agreed=Count("id"),
        **{o: Count("id", filter=Q(outcome=o)) for o in Goal.Outcome.values},
    )
    return _with_met_rate(counts)


def _with_met_rate(counts: dict) -> dict:
    decided = counts["met"] + counts["partly_met"] + counts["not_met"]
    counts["met_rate"] = round(counts["met"] / decided, 3) if decided else None
    return counts


def dashboard_with_services(scope: Scope) -> dict:
    """The dashboard's figures and the per-service waiting lists and first contact (kept out
    of `dashboard`, which benchmarks/dashboard_floor.py reproduces by hand)."""
    return {**dashboard(scope), "service_waits": service_waits(scope)}


def dashboard(scope: Scope, *, today: date | None = None, now: datetime | None = None) -> dict:
    """Every figure, for the API and the page (as of `now`, by default the present)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    return {
        "admissions_avoided": admissions_avoided(scope),
        "admissions_after_discharge": admissions_after_discharge(scope, today),
        "referrals": referrals_in(scope),
        "triage_working_days": triage_times(scope),
        "caseload": caseload(scope, now),
        "visits": visits_per_pharmacist(scope, today),
        "red_flags": red_flags_by_month(scope),
        "meetings": meetings(scope, today),
        "goals": goals(scope),
    }


# --- the people behind a number -----------------------------------------------------------------


def people(scope: Scope, metric: str, *, today: date | None = None, **params):
    """The people behind one number on the dashboard, as a Patient queryset. `metric` and
    `params` name the number (e.g. metric="avoided", answer="yes", month="2026-11"); `today`
    (by default the London day) as for the figures."""

    today = today or timezone.localdate()

    def months_q(field: str) -> Q:
        if params.get("month"):
            first = parse_month(params["month"])
            sub = Scope(scope.network_ids, first, first, scope.service)
            return sub.in_period(field)
        return scope.in_period(field)

    patients = Patient.objects.filter(network_id__in=scope.network_ids)
    if metric == "avoided":
        episodes = _episodes(scope).filter(months_q("closed_at"))
        if params.get("answer"):
            episodes = episodes.filter(admission_avoided=params["answer"])
        return patients.filter(pk__in=episodes.values("patient_id"))
    if metric == "admitted":
        days = int(params.get("days", 30))
        if days not in (30, 90):
            raise ValueError("days must be 30 or 90")
        episodes = (
            _discharges(scope)
            .filter(**{f"closed_plus_{days}__lte": today})
            .filter(_admitted_within(days))
        )
        if params.get("answer") in ANSWERS:
            episodes = episodes.filter(admission_avoided=params["answer"])
        return patients.filter(pk__in=episodes.values("patient_id"))
    if metric == "referrals":
        referrals = _referrals(scope)
        if params.get("service"):
            referrals = referrals.filter(service=params["service"])
        if params.get("status"):
            referrals = referrals.filter(status=params["status"])
        if params.get("reason"):
            referrals = referrals.filter(decline_reason=params["reason"])
        return patients.filter(pk__in=referrals.values("patient_id"))
    if metric == "caseload":
        return patients.filter(
            pk__in=Episode.objects.filter(
                network_id__in=scope.network_ids, closed_at__isnull=True
            ).values("patient_id")
        )
    if metric == "flags":
        flags = PatientFlag.objects.filter(months_q("raised_at"))
        if params.get("code"):
            flags = flags.filter(flag__code=params["code"])
        return patients.filter(pk__in=flags.values("patient_id"))
    if metric == "goals":
        goals_q = Goal.objects.filter(agreed_on__gte=scope.first, agreed_on__lt=scope.end_day)
        if params.get("outcome"):
            goals_q = goals_q.filter(outcome=params["outcome"])
        return patients.filter(pk__in=goals_q.values("patient_id"))
    raise ValueError(f"Unknown metric {metric!r}")
