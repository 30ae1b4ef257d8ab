"""The dashboard's red flags, goals and visits stored as they happen (reports.models.FlagTally,
GoalTally and VisitTally), as reports/tally.py stores its referral counts; and the figures
over few rows (meetings, discharges) read straight from their tables through an index.

Counting the year's red flags (124,000 for six networks) per code and London month took
about 200 ms, the year's goals by outcome about 60 ms and visits per pharmacist 15-45 ms,
growing with every network and month; reading their counts, kept per network, London month
and red flag (month agreed and outcome; month and visitor), takes a millisecond or two.
Exact at every moment: statement triggers on ``referrals_patientflag``, ``patients_goal``
and ``medicines_visit`` move each changed row's count from the key it had to the key it has
in the transaction that changes it, whatever makes the change (the services, the admin, a
bulk update, a data migration). Two transactions counting into the same row are serialised
by the row lock of ``INSERT ... ON CONFLICT DO UPDATE``; every writer locks the networks'
rows first, in id order, as tally._counting does.

A flag or goal counts in its person's network (a visit in its own). No code moves a person
to another network (patients.api refuses it), but the admin or a data fix could: a row
trigger on ``patients_patient`` then moves the person's counts with them.

``rebuild`` (run by ``manage.py rebuild_report_figures`` with tally.rebuild) recomputes the
counts from the rows, for some networks or all."""

# ruff: noqa: S608 (only this module's constant table and column names are put into SQL;
# every value is a parameter)

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, connections, transaction

from core.replica import read_alias


@dataclass(frozen=True)
class Counted:
    """One stored count: its table and key, the source table whose rows it counts, and how
    a source row (alias r, joined to its person as p) gives the key (in KEY's order). A
    count `by_person` is in the person's network; else in the row's own network_id."""

    table: str
    key: tuple[str, ...]
    source: str
    values: tuple[str, ...]
    trigger: str
    by_person: bool = True
    where: str = "true"  # which source rows count

    @property
    def columns(self) -> str:
        return ", ".join(self.key)

    def count_sql(self, rows: str) -> str:
        """The upsert adding `rows` (a query giving the source's columns and `sign`) to the
        counts: one per key, in key order; keys whose changes cancel out are left alone. A
        row whose person (network) is gone counts nowhere (never so for a person: a flag
        protects its person, and a person's goals are deleted before the person; a network
        is deleted with its rows, demo.synthetic.deleting)."""
        positions = ", ".join(str(i + 1) for i in range(len(self.key)))
        owner = (
            "patients_patient p ON p.id = r.patient_id"
            if self.by_person
            else "networks_network net ON net.id = r.network_id"
        )
        return f"""
INSERT INTO {self.table} ({self.columns}, n)
SELECT {", ".join(self.values)}, sum(r.sign)
  FROM ({rows}) r JOIN {owner}
 WHERE {self.where}
 GROUP BY {positions} HAVING sum(r.sign) <> 0 ORDER BY {positions}
    ON CONFLICT ({self.columns}) DO UPDATE SET n = {self.table}.n + EXCLUDED.n"""


FLAGS = Counted(
    table="reports_flagtally",
    key=("network_id", "month", "flag_id"),
    source="referrals_patientflag",
    values=(
        "p.network_id",
        "date_trunc('month', r.raised_at AT TIME ZONE 'Europe/London')::date",
        "r.flag_id",
    ),
    trigger="reports_flag_tally",
)
GOALS = Counted(
    table="reports_goaltally",
    key=("network_id", "month", "outcome"),
    source="patients_goal",
    values=("p.network_id", "date_trunc('month', r.agreed_on)::date", "r.outcome"),
    trigger="reports_goal_tally",
)
VISITS = Counted(
    table="reports_visittally",
    key=("network_id", "month", "visitor_id"),
    source="medicines_visit",
    values=(
        "r.network_id",
        "date_trunc('month', r.visited_at AT TIME ZONE 'Europe/London')::date",
        "r.visitor_id",
    ),
    trigger="reports_visit_tally",
    by_person=False,
)
# Actions agreed at meetings by month due and how they stand: open, done on time (by the end
# of the London day due) or late. Which open ones are overdue depends on the day the figure
# is read: `actions_agreed` counts those not yet due from the actions (few: the work ahead).
ACTIONS = Counted(
    table="reports_actiontally",
    key=("network_id", "month", "state"),
    source="actions_action",
    values=(
        "r.network_id",
        "date_trunc('month', r.due_on)::date",
        "CASE WHEN r.status <> 'done' THEN r.status"
        " WHEN (r.done_at AT TIME ZONE 'Europe/London')::date <= r.due_on THEN 'on_time'"
        " WHEN (r.done_at AT TIME ZONE 'Europe/London')::date > r.due_on THEN 'late'"
        " ELSE 'done' END",
    ),
    trigger="reports_action_tally",
    by_person=False,
    where="r.agenda_item_id IS NOT NULL",
)
# Discharges (episodes closed) by London month and the MDT's answer to "have we avoided an
# admission?" ("" when not asked).
DISCHARGES = Counted(
    table="reports_dischargetally",
    key=("network_id", "month", "answer"),
    source="huddles_episode",
    values=(
        "r.network_id",
        "date_trunc('month', r.closed_at AT TIME ZONE 'Europe/London')::date",
        "r.admission_avoided",
    ),
    trigger="reports_discharge_tally",
    by_person=False,
    where="r.closed_at IS NOT NULL",
)
COUNTED = (FLAGS, GOALS, VISITS, ACTIONS, DISCHARGES)


def _counting(counted: Counted, name: str, tables: list[tuple[str, int]]) -> str:
    """A statement trigger's function: the rows a statement removed (-1) and made (+1)
    counted, after their networks' rows are locked (FOR KEY SHARE, in id order)."""
    rows = " UNION ALL ".join(f"SELECT *, {sign} AS sign FROM {table}" for table, sign in tables)
    if counted.by_person:
        people = " UNION ".join(f"SELECT patient_id FROM {table}" for table, _ in tables)
        networks = f"SELECT network_id FROM patients_patient WHERE id IN ({people})"
    else:
        networks = " UNION ".join(f"SELECT network_id FROM {table}" for table, _ in tables)
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM networks_network WHERE id IN ({networks}) ORDER BY id FOR KEY SHARE;
  {counted.count_sql(rows)};
  RETURN NULL;
END $$"""


def _triggers(counted: Counted) -> list[str]:
    name, on = counted.trigger, f"ON {counted.source} REFERENCING {{}} FOR EACH STATEMENT"
    events = {
        "insert": ("INSERT", "NEW TABLE AS new_rows", [("new_rows", 1)]),
        "update": (
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            [("old_rows", -1), ("new_rows", 1)],
        ),
        "delete": ("DELETE", "OLD TABLE AS old_rows", [("old_rows", -1)]),
    }
    sql = []
    for op, (event, tables, signs) in events.items():
        sql.append(_counting(counted, f"{name}_{op}", signs))
        sql.append(
            f"CREATE TRIGGER {name}_{op} AFTER {event} {on.format(tables)} "
            f"EXECUTE FUNCTION {name}_{op}()"
        )
    return sql


def _moving(counted: Counted, network: str, sign: int) -> str:
    """A person's rows counted (sign each) under `network` (OLD or NEW network_id)."""
    rows = f"SELECT *, {sign} AS sign FROM {counted.source} WHERE patient_id = NEW.id"
    return counted.count_sql(rows).replace("p.network_id", network, 1) + ";"


BY_PERSON = [c for c in COUNTED if c.by_person]

# A person moved to another network takes their flags' and goals' counts along. SECURITY
# DEFINER: both networks' counts, whoever's scope the change is made in (the admin).
_MOVE = f"""
CREATE FUNCTION reports_person_moved() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  PERFORM 1 FROM networks_network WHERE id IN (OLD.network_id, NEW.network_id)
   ORDER BY id FOR KEY SHARE;
  {" ".join(_moving(c, "OLD.network_id", -1) + _moving(c, "NEW.network_id", 1) for c in BY_PERSON)}
  RETURN NULL;
END $$"""

TRIGGERS_SQL = [
    *_triggers(FLAGS),
    *_triggers(GOALS),
    *_triggers(VISITS),
    *_triggers(ACTIONS),
    *_triggers(DISCHARGES),
    _MOVE,
    "CREATE TRIGGER reports_person_moved AFTER UPDATE OF network_id ON patients_patient "
    "FOR EACH ROW WHEN (OLD.network_id IS DISTINCT FROM NEW.network_id) "
    "EXECUTE FUNCTION reports_person_moved()",
]

TRIGGERS_REVERSE_SQL = [
    "DROP TRIGGER reports_person_moved ON patients_patient",
    "DROP FUNCTION reports_person_moved()",
    *(
        f"DROP TRIGGER {c.trigger}_{op} ON {c.source}"
        for c in COUNTED
        for op in ("insert", "update", "delete")
    ),
    *(
        f"DROP FUNCTION {c.trigger}_{op}()"
        for c in COUNTED
        for op in ("insert", "update", "delete")
    ),
]

TABLES = ", ".join(c.table for c in COUNTED)

REBUILD_ALL_SQL = [
    f"LOCK TABLE {TABLES} IN EXCLUSIVE MODE",
    *(f"DELETE FROM {c.table}" for c in COUNTED),
    *(c.count_sql(f"SELECT *, 1 AS sign FROM {c.source}") for c in COUNTED),
]


def rebuild(network_ids: Iterable[int] | None = None) -> int:
    """Recompute the counts of these networks (all, if None) from their people's flags and
    goals; returns the rows written. Idempotent; the tables are locked against the triggers'
    writes (EXCLUSIVE: reads go on), so flag and goal writes wait until it commits."""
    ids = None if network_ids is None else sorted(set(network_ids))
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLES} IN EXCLUSIVE MODE")
        for counted in COUNTED:
            if ids is None:
                where, params = "true", []
                rows = f"SELECT *, 1 AS sign FROM {counted.source}"
            elif not counted.by_person:
                where, params = "network_id = ANY(%s)", [ids]
                rows = f"SELECT *, 1 AS sign FROM {counted.source} WHERE {where}"
            else:
                where, params = "network_id = ANY(%s)", [ids]
                rows = (
                    f"SELECT s.*, 1 AS sign FROM {counted.source} s WHERE s.patient_id IN "
                    "(SELECT id FROM patients_patient WHERE network_id = ANY(%s))"
                )
            cursor.execute(f"DELETE FROM {counted.table} WHERE {where}", params)
            cursor.execute(counted.count_sql(rows), params)
            written += cursor.rowcount
    return written


# --- reading the figures -----------------------------------------------------------------------

_SCOPE = "network_id = ANY(%s) AND month >= %s AND month <= %s"


def _scope_params(scope) -> list:
    return [list(scope.network_ids), scope.first, scope.last]


def red_flags(scope) -> list[tuple[str, str, object, int]]:
    """Red flags raised in the period: (code, label, month, n), by code and month."""
    sql = f"""
SELECT f.code, f.label, t.month, sum(t.n) FROM {FLAGS.table} t
  JOIN referrals_redflag f ON f.id = t.flag_id
 WHERE t.network_id = ANY(%s) AND t.month >= %s AND t.month <= %s
 GROUP BY f.code, f.label, t.month HAVING sum(t.n) > 0
 ORDER BY f.code, t.month"""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, _scope_params(scope))
        return [(code, label, month, int(n)) for code, label, month, n in cursor.fetchall()]


def goal_outcomes(scope) -> dict[str, int]:
    """Goals agreed in the period, per outcome (outcomes with none left out)."""
    sql = f"""
SELECT outcome, sum(n) FROM {GOALS.table} WHERE {_SCOPE}
 GROUP BY outcome HAVING sum(n) > 0"""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, _scope_params(scope))
        return {outcome: int(n) for outcome, n in cursor.fetchall()}


# --- meetings: few enough to read straight from their tables --------------------------------------

# Meetings held (closed) in the period, per London month and over all (the grouping set ()),
# with the people discussed at each: counted per meeting in the partial index of discussed
# items (huddles.AgendaItem's "agenda_item_discussed"), an index-only probe per meeting. A
# network holds a meeting or two a week, so this reads a few hundred meetings a year for six
# networks (2 ms) and grows with meetings, never with people, flags or referrals.
MEETINGS_SQL = """
WITH held AS (
  SELECT date_trunc('month', m.starts_at AT TIME ZONE 'Europe/London')::date AS month,
         (SELECT count(*) FROM huddles_agendaitem a
           WHERE a.meeting_id = m.id AND a.status = 'discussed') AS discussed
    FROM huddles_meeting m
   WHERE m.network_id = ANY(%s) AND m.status = 'closed'
     AND m.starts_at >= %s AND m.starts_at < %s
)
SELECT month, GROUPING(month), count(*), sum(discussed), avg(discussed)::float8,
       CASE WHEN GROUPING(month) = 1
            THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY discussed) END
  FROM held
 GROUP BY GROUPING SETS ((month), ())"""


def meetings_held(scope) -> tuple[dict, dict]:
    """Per London month (a date) the meetings held and people discussed at them; and over
    the period the meetings held and the mean and median discussed per meeting."""
    by_month, overall = {}, {"meetings": 0, "mean": None, "median": None}
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(MEETINGS_SQL, [list(scope.network_ids), scope.start, scope.end])
        for month, is_overall, held, discussed, mean, median in cursor.fetchall():
            if is_overall:
                overall = {"meetings": held, "mean": mean, "median": median}
            else:
                by_month[month] = (held, int(discussed))
    return by_month, overall


# --- what happened after discharge: one probe per discharge --------------------------------------

# Episodes closed in the period (the covering index huddles "episode_closed" on network and
# closed_at), each with its first emergency admission within 90 days of the London day of
# discharge: one index probe per discharge followed for 30 days at least (none for those
# discharged less than 30 days ago), and the London day computed once per row (the CTE is
# materialised and the probe is a lateral join: inlined, each would be evaluated per use).
AFTER_DISCHARGE_SQL = """
WITH closed AS MATERIALIZED (
  SELECT e.admission_avoided AS answer, e.patient_id,
         (e.closed_at AT TIME ZONE 'Europe/London')::date AS closed_on
    FROM huddles_episode e
   WHERE e.network_id = ANY(%(networks)s) AND e.closed_at IS NOT NULL
     AND e.closed_at >= %(start)s AND e.closed_at < %(end)s
)
SELECT c.answer, count(*),
       count(*) FILTER (WHERE c.closed_on + 30 <= %(today)s),
       count(*) FILTER (WHERE c.closed_on + 30 <= %(today)s AND f.admitted <= c.closed_on + 30),
       count(*) FILTER (WHERE c.closed_on + 90 <= %(today)s),
       count(*) FILTER (WHERE c.closed_on + 90 <= %(today)s AND f.admitted <= c.closed_on + 90)
  FROM closed c
  LEFT JOIN LATERAL (
    SELECT min(a.admitted_on) AS admitted FROM reports_admissionevent a
     WHERE c.closed_on + 30 <= %(today)s
       AND a.patient_id = c.patient_id AND a.kind = 'emergency'
       AND a.admitted_on > c.closed_on AND a.admitted_on <= c.closed_on + 90) f ON true
 GROUP BY c.answer"""


def after_discharge(scope, today) -> list[tuple[str, int, int, int, int, int]]:
    """Per answer at discharge: (answer, discharged, followed_30, admitted_30, followed_90,
    admitted_90) for episodes closed in the period, as of `today` (a London day)."""
    params = {
        "networks": list(scope.network_ids),
        "start": scope.start,
        "end": scope.end,
        "today": today,
    }
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(AFTER_DISCHARGE_SQL, params)
        return cursor.fetchall()


# Visits per visitor in the period, with the visitor's role in the visit's network now.
VISITS_SQL = f"""
SELECT t.visitor_id, u.first_name, u.last_name, u.username, m.role, sum(t.n) AS visits
  FROM {VISITS.table} t
  JOIN networks_membership m ON m.user_id = t.visitor_id AND m.network_id = t.network_id
  JOIN auth_user u ON u.id = t.visitor_id
 WHERE t.network_id = ANY(%s) AND t.month >= %s AND t.month <= %s AND m.role = ANY(%s)
 GROUP BY t.visitor_id, u.first_name, u.last_name, u.username, m.role HAVING sum(t.n) > 0
 ORDER BY visits DESC, u.last_name"""


def visits_by_visitor(scope, roles: Iterable[str]) -> list[dict]:
    """Visits made in the period per visitor and their role in the visit's network (one of
    `roles`), most first: as figures.visits_per_pharmacist's query returns them."""
    names = ("visitor_id", "visitor__first_name", "visitor__last_name", "visitor__username")
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(VISITS_SQL, [*_scope_params(scope), list(roles)])
        return [
            {**dict(zip(names, row[:4], strict=True)), "role": row[4], "visits": int(row[5])}
            for row in cursor.fetchall()
        ]


# Open actions agreed at meetings due in the period from `today` on: few (the partial index
# actions "action_agreed_open"), so read from the actions.
NOT_YET_DUE_SQL = """
SELECT count(*) FROM actions_action
 WHERE network_id = ANY(%s) AND status = 'open' AND agenda_item_id IS NOT NULL
   AND due_on >= %s AND due_on < %s"""


def actions_agreed(scope, today) -> dict[str, int]:
    """Actions agreed at meetings and due in the period: due, done on time, done late, open
    and overdue (due before `today`), and still open (due from `today`)."""
    sql = f"""
SELECT state, sum(n) FROM {ACTIONS.table} WHERE {_SCOPE}
 GROUP BY state HAVING sum(n) <> 0"""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, _scope_params(scope))
        states = {state: int(n) for state, n in cursor.fetchall()}
        cursor.execute(
            NOT_YET_DUE_SQL, [list(scope.network_ids), max(today, scope.first), scope.end_day]
        )
        (not_yet_due,) = cursor.fetchone()
    return {
        "due": sum(states.values()),
        "on_time": states.get("on_time", 0),
        "late": states.get("late", 0),
        "overdue": states.get("open", 0) - not_yet_due,
        "open": not_yet_due,
    }


def discharges(scope) -> list[tuple[object, str, int]]:
    """Episodes closed in the period with an answer: (London month, answer, n)."""
    sql = f"""
SELECT month, answer, sum(n) FROM {DISCHARGES.table} WHERE {_SCOPE} AND answer <> ''
 GROUP BY month, answer HAVING sum(n) <> 0"""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, _scope_params(scope))
        return [(month, answer, int(n)) for month, answer, n in cursor.fetchall()]
