"""The manager dashboard's floor, S: the same answer as ``reports.figures.dashboard(scope)``,
computed by hand-written SQL straight over the base tables, in as few passes as the answer
allows. It is what the database alone needs to do to produce the dashboard; the dashboard's
goal (issue 8) is to take at most 1.3 x as long.

The stable interface (``benchmarks.hotpaths`` imports it)::

    dashboard_floor(cursor, *, network_ids: list[int], start: date, end: date,
                    service: str | None = None, today: date | None = None,
                    now: datetime | None = None) -> dict

* ``cursor``: a DB-API cursor on the database (``django.db.connection.cursor()`` will do);
* ``network_ids``, ``service``: as ``reports.figures.Scope.network_ids`` / ``.service``
  (``None`` or ``""``: every service);
* ``start``, ``end``: the first and the last month of the period, inclusive: any day in the
  month will do (``Scope.first`` and ``Scope.last``);
* ``today`` and ``now``: the day and moment the figures are for (default: now, as the
  dashboard's); pass the same to ``figures.dashboard(scope, today=..., now=...)`` to compare
  exactly.

It returns the raw rows of its statements (cheap to build: no shaping in Python).
``as_dashboard(raw)`` turns them into exactly what ``figures.dashboard`` returns, and
``canonical(figures)`` orders what either returns where the dashboard leaves ties unordered
(pharmacists with as many visits and the same last name), so that::

    canonical(as_dashboard(dashboard_floor(cursor, ...))) == canonical(figures.dashboard(scope))

The statements (seven; one pass over each base table the figures read, two over referrals,
which is faster than one pass with grouping sets: the counts hash-aggregate without sorting
or converting times, and only triaged referrals are sorted for the percentiles):

1. episodes closed in the period: per London month and answer, with the emergency
   admissions within 30/90 days (an index probe per discharge) and, as a grouping set over
   all of them, the median days on the caseload;
2. episodes open now: how many and their median days so far;
   actions due in the period, goals agreed in it and the working days so far (scalar
   subqueries of the same statement);
3. referrals made in the period: per service and source every count;
4. referrals made in the period and triaged: working days to triage through the calendar
   table (hash joins on London days), per service and over all (grouping sets);
5. visits by pharmacists and pharmacy technicians, per visitor;
6. red flags raised, per code and London month;
7. meetings held, per London month and over all (people discussed per meeting: mean, median).
"""

# ruff: noqa: S608 (the SQL is built from constants only; every value is a parameter)
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
ANSWERS = ("yes", "no", "unsure")
DECLINE_REASONS = ("inappropriate", "already_known", "outside_area", "person_declined", "other")
GOAL_OUTCOMES = ("open", "met", "partly_met", "not_met")
PHARMACY_ROLES = ("pharmacist", "pharmacy_technician")
REFERRAL_COUNTS = (
    "total",
    "waiting",
    "accepted",
    "declined",
    "withdrawn",
    *(f"declined_{d}" for d in DECLINE_REASONS),
)
DECLINED_BY_REASON = ", ".join(
    f"count(*) FILTER (WHERE decline_reason = '{d}') AS declined_{d}" for d in DECLINE_REASONS
)

MONTH = "to_char(date_trunc('month', {} AT TIME ZONE 'Europe/London'), 'YYYY-MM')"
LOCAL_DAY = "({} AT TIME ZONE 'Europe/London')::date"

EPISODES_CLOSED = f"""
WITH closed AS (
    SELECT e.admission_avoided AS answer,
           {MONTH.format("e.closed_at")} AS month,
           EXTRACT(EPOCH FROM (e.closed_at - e.opened_at)) / 86400.0 AS days,
           e.patient_id,
           {LOCAL_DAY.format("e.closed_at")} AS closed_on
      FROM huddles_episode e
     WHERE e.network_id = ANY(%(networks)s)
       AND e.closed_at >= %(start)s AND e.closed_at < %(end)s
)
SELECT month, answer, GROUPING(month) AS overall,
       count(*) AS discharged,
       count(*) FILTER (WHERE closed_on + 30 <= %(today)s) AS followed_30,
       count(*) FILTER (WHERE closed_on + 30 <= %(today)s AND EXISTS (
           SELECT FROM reports_admissionevent a
            WHERE a.patient_id = closed.patient_id AND a.kind = 'emergency'
              AND a.admitted_on > closed_on AND a.admitted_on <= closed_on + 30)) AS admitted_30,
       count(*) FILTER (WHERE closed_on + 90 <= %(today)s) AS followed_90,
       count(*) FILTER (WHERE closed_on + 90 <= %(today)s AND EXISTS (
           SELECT FROM reports_admissionevent a
            WHERE a.patient_id = closed.patient_id AND a.kind = 'emergency'
              AND a.admitted_on > closed_on AND a.admitted_on <= closed_on + 90)) AS admitted_90,
       CASE WHEN GROUPING(month) = 1
            THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY days) END AS median_days
  FROM closed
 GROUP BY GROUPING SETS ((month, answer), ())
"""

SCALARS = f"""
SELECT
  (SELECT count(*) FROM huddles_episode
    WHERE network_id = ANY(%(networks)s) AND closed_at IS NULL AND opened_at <= %(now)s),
  (SELECT percentile_cont(0.5) WITHIN GROUP (
              ORDER BY EXTRACT(EPOCH FROM (%(now)s - opened_at)) / 86400.0)
     FROM huddles_episode
    WHERE network_id = ANY(%(networks)s) AND closed_at IS NULL AND opened_at <= %(now)s),
  (SELECT ROW(count(*),
              count(*) FILTER (WHERE status = 'done'
                                 AND {LOCAL_DAY.format("done_at")} <= due_on),
              count(*) FILTER (WHERE status = 'done'
                                 AND {LOCAL_DAY.format("done_at")} > due_on),
              count(*) FILTER (WHERE status = 'open' AND due_on < %(today)s),
              count(*) FILTER (WHERE status = 'open' AND due_on >= %(today)s))::text
     FROM actions_action
    WHERE network_id = ANY(%(networks)s) AND agenda_item_id IS NOT NULL
      AND due_on >= %(first)s AND due_on < %(end_day)s),
  (SELECT ROW(count(*), {", ".join(f"count(*) FILTER (WHERE g.outcome = '{o}')" for o in GOAL_OUTCOMES)})::text
     FROM patients_goal g JOIN patients_patient p ON p.id = g.patient_id
    WHERE p.network_id = ANY(%(networks)s)
      AND g.agreed_on >= %(first)s AND g.agreed_on < %(end_day)s),
  (SELECT count(*) FROM reports_calendarday
    WHERE day >= %(first)s AND day <= %(last_working)s AND working)
"""  # noqa: E501

REFERRALS = f"""
SELECT r.service,
       CASE WHEN r.origin = 'red_flag' THEN 'red_flag'
            ELSE COALESCE(NULLIF(o.kind, ''), 'member') END AS source,
       {", ".join(f"sum({c})::int" for c in REFERRAL_COUNTS)}
  FROM (
    SELECT service, origin, source_organisation_id,
           count(*) AS total,
           count(*) FILTER (WHERE status = 'new') AS waiting,
           count(*) FILTER (WHERE status IN ('accepted', 'completed')) AS accepted,
           count(*) FILTER (WHERE status = 'declined') AS declined,
           count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn,
           {DECLINED_BY_REASON}
      FROM referrals_referral
     WHERE network_id = ANY(%(networks)s)
       AND created_at >= %(start)s AND created_at < %(end)s {{service}}
     GROUP BY service, origin, source_organisation_id
  ) r
  LEFT JOIN networks_organisation o ON o.id = r.source_organisation_id
 GROUP BY 1, 2
"""

TRIAGE = f"""
SELECT r.service, GROUPING(r.service), count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY t.working_index - m.working_index),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY t.working_index - m.working_index)
  FROM referrals_referral r
  LEFT JOIN reports_calendarday m ON m.day = {LOCAL_DAY.format("r.created_at")}
  LEFT JOIN reports_calendarday t ON t.day = {LOCAL_DAY.format("r.triaged_at")}
 WHERE r.network_id = ANY(%(networks)s)
   AND r.created_at >= %(start)s AND r.created_at < %(end)s
   AND r.triaged_at IS NOT NULL {{service}}
 GROUP BY GROUPING SETS ((r.service), ())
"""

VISITS = """
SELECT v.visitor_id, u.first_name, u.last_name, u.username, m.role, count(*) AS visits
  FROM medicines_visit v
  JOIN networks_membership m ON m.user_id = v.visitor_id AND m.network_id = v.network_id
  JOIN auth_user u ON u.id = v.visitor_id
 WHERE v.network_id = ANY(%(networks)s)
   AND v.visited_at >= %(start)s AND v.visited_at < %(end)s
   AND m.role IN ('pharmacist', 'pharmacy_technician')
 GROUP BY v.visitor_id, u.first_name, u.last_name, u.username, m.role
 ORDER BY visits DESC, u.last_name, v.visitor_id
"""

FLAGS = f"""
SELECT f.code, f.label, {MONTH.format("pf.raised_at")} AS month, count(*)
  FROM referrals_patientflag pf
  JOIN patients_patient p ON p.id = pf.patient_id
  JOIN referrals_redflag f ON f.id = pf.flag_id
 WHERE p.network_id = ANY(%(networks)s)
   AND pf.raised_at >= %(start)s AND pf.raised_at < %(end)s
 GROUP BY 1, 2, 3
"""

MEETINGS = f"""
WITH held AS (
    SELECT {MONTH.format("m.starts_at")} AS month,
           (SELECT count(*) FROM huddles_agendaitem a
             WHERE a.meeting_id = m.id AND a.status = 'discussed') AS discussed
      FROM huddles_meeting m
     WHERE m.network_id = ANY(%(networks)s) AND m.status = 'closed'
       AND m.starts_at >= %(start)s AND m.starts_at < %(end)s
)
SELECT month, GROUPING(month), count(*), sum(discussed), avg(discussed),
       CASE WHEN GROUPING(month) = 1
            THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY discussed) END
  FROM held
 GROUP BY GROUPING SETS ((month), ())
"""


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _months(first: date, last: date) -> list[str]:
    months, month = [], first
    while month <= last:
        months.append(f"{month:%Y-%m}")
        month = _next_month(month)
    return months


def dashboard_floor(
    cursor,
    *,
    network_ids: list[int],
    start: date,
    end: date,
    service: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> dict:
    """The dashboard's answer by hand-written SQL (seven statements); see the module docstring.
    Returns the raw rows; ``as_dashboard`` shapes them as ``figures.dashboard`` does."""
    if now is None:
        now = datetime.now(LONDON)
    if today is None:
        today = now.astimezone(LONDON).date()
    first, last = _first_of_month(start), _first_of_month(end)
    end_day = _next_month(last)
    params = {
        "networks": list(network_ids),
        "first": first,
        "end_day": end_day,
        "start": datetime.combine(first, time(), tzinfo=LONDON),
        "end": datetime.combine(end_day, time(), tzinfo=LONDON),
        "service": service or "",
        "today": today,
        "now": now,
        "last_working": min(end_day - timedelta(days=1), today),
    }
    raw = {"months": _months(first, last)}
    for name, sql in (
        ("episodes", EPISODES_CLOSED),
        ("scalars", SCALARS),
        ("referrals", REFERRALS),
        ("triage", TRIAGE),
        ("visits", VISITS),
        ("flags", FLAGS),
        ("meetings", MEETINGS),
    ):
        if name in ("referrals", "triage"):
            sql = sql.format(service="AND service = %(service)s" if service else "")
        cursor.execute(sql, params)
        raw[name] = cursor.fetchall()
    return raw


# --- the same shape as figures.dashboard ---------------------------------------------------------


def _round(value):
    return None if value is None else round(value, 1)


def _record(text: str) -> list[int]:
    """A ROW(...)::text of integers, e.g. "(5,2,1,1,1)"."""
    return [int(x) for x in text.strip("()").split(",")]


def as_dashboard(raw: dict) -> dict:
    """``dashboard_floor``'s rows in exactly the shape ``figures.dashboard`` returns."""
    months = raw["months"]

    avoided = {m: {"month": m, "yes": 0, "no": 0, "unsure": 0} for m in months}
    after = {
        a: {
            "answer": a,
            "discharged": 0,
            "followed_30": 0,
            "admitted_30": 0,
            "followed_90": 0,
            "admitted_90": 0,
        }
        for a in (*ANSWERS, "all")
    }
    discharged, discharged_median = 0, None
    for month, answer, overall, n, f30, a30, f90, a90, median in raw["episodes"]:
        if overall:
            discharged, discharged_median = n, median
            continue
        if answer in ANSWERS:
            avoided[month][answer] += n
        for key in (answer or "unsure", "all"):
            if key in after:
                row = after[key]
                row["discharged"] += n
                row["followed_30"] += f30
                row["admitted_30"] += a30
                row["followed_90"] += f90
                row["admitted_90"] += a90

    active, active_median, actions, goal_counts, working_days = raw["scalars"][0]
    due, on_time, late, overdue, still_open = _record(actions)
    agreed, *outcomes = _record(goal_counts)
    goals = {"agreed": agreed, **dict(zip(GOAL_OUTCOMES, outcomes, strict=True))}
    decided = goals["met"] + goals["partly_met"] + goals["not_met"]
    goals["met_rate"] = round(goals["met"] / decided, 3) if decided else None

    referrals = []
    for svc, source, *values in raw["referrals"]:
        entry = {"source": source, "service": svc}
        entry.update(zip(REFERRAL_COUNTS, values, strict=True))
        decided = entry["accepted"] + entry["declined"]
        entry["inappropriate_rate"] = (
            round(entry["declined_inappropriate"] / decided, 3) if decided else None
        )
        referrals.append(entry)
    referrals.sort(key=lambda r: (r["service"], r["source"]))
    triage, triage_all = [], {"service": "all", "triaged": 0, "median": None, "p90": None}
    for svc, overall, triaged, median, p90 in raw["triage"]:
        row = {"service": svc, "triaged": triaged, "median": median, "p90": p90}
        if overall:
            triage_all = {**row, "service": "all"}
        else:
            triage.append(row)
    triage.sort(key=lambda r: r["service"])
    triage.append(triage_all)

    people = [
        {
            "user_id": user_id,
            "name": f"{first_name} {last_name}".strip() or username,
            "role": role,
            "visits": n,
            "per_working_day": round(n / working_days, 2) if working_days else None,
        }
        for user_id, first_name, last_name, username, role, n in raw["visits"]
    ]
    total_visits = sum(p["visits"] for p in people)

    codes: dict[str, dict] = {}
    for code, label, month, n in raw["flags"]:
        entry = codes.setdefault(code, {"code": code, "label": label, "months": {}, "total": 0})
        entry["months"][month] = n
        entry["total"] += n
    for entry in codes.values():
        entry["months"] = [{"month": m, "n": entry["months"].get(m, 0)} for m in months]

    by_month = {m: {"month": m, "held": 0, "discussed": 0} for m in months}
    held, mean, median = 0, None, None
    for month, overall, n, discussed, avg, med in raw["meetings"]:
        if overall:
            held, mean, median = n, (None if avg is None else float(avg)), med
        else:
            by_month[month] = {"month": month, "held": n, "discussed": int(discussed)}

    return {
        "admissions_avoided": list(avoided.values()),
        "admissions_after_discharge": list(after.values()),
        "referrals": referrals,
        "triage_working_days": triage,
        "caseload": {
            "active": active,
            "active_median_days": _round(active_median),
            "discharged": discharged,
            "discharged_median_days": _round(discharged_median),
        },
        "visits": {
            "working_days": working_days,
            "pharmacists": people,
            "visits": total_visits,
            "per_pharmacist_per_working_day": (
                round(total_visits / (len(people) * working_days), 2)
                if people and working_days
                else None
            ),
        },
        "red_flags": sorted(codes.values(), key=lambda e: (-e["total"], e["code"])),
        "meetings": {
            "by_month": list(by_month.values()),
            "held": held,
            "discussed_per_meeting_mean": _round(mean),
            "discussed_per_meeting_median": _round(median),
            "actions": {
                "due": due,
                "on_time": on_time,
                "late": late,
                "overdue": overdue,
                "open": still_open,
            },
        },
        "goals": goals,
    }


def canonical(figures: dict) -> dict:
    """The dashboard's figures with its unordered ties put in one order (pharmacists by visits,
    then user id), to compare two answers exactly."""
    visits = dict(figures["visits"])
    visits["pharmacists"] = sorted(
        visits["pharmacists"],
        key=lambda p: (-p["visits"], p["user_id"]),
    )
    return {**figures, "visits": visits}
