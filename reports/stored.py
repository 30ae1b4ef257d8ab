"""The dashboard's red flags and goals stored as they happen (reports.models.FlagTally and
GoalTally), as reports/tally.py stores its referral counts.

Counting the year's red flags (124,000 for six networks) per code and London month took
about 200 ms, and the year's goals by outcome about 60 ms, growing with every network and
month; reading their counts, kept per network, London month and red flag (per network,
month agreed and outcome), takes a millisecond or two. Exact at every moment: statement
triggers on ``referrals_patientflag`` and ``patients_goal`` move each changed row's count
from the key it had to the key it has in the transaction that changes it, whatever makes
the change (the services, the admin, a bulk update, a data migration). Two transactions
counting into the same row are serialised by the row lock of ``INSERT ... ON CONFLICT DO
UPDATE``; every writer locks the networks' rows first, in id order, as tally._counting does.

A flag or goal counts in its person's network. No code moves a person to another network
(patients.api refuses it), but the admin or a data fix could: a row trigger on
``patients_patient`` then moves the person's counts with them.

``rebuild`` (run by ``manage.py rebuild_report_figures`` with tally.rebuild) recomputes the
counts from the flags and goals, for some networks or all."""

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
    a source row (alias r, joined to its person as p) gives the key (in KEY's order)."""

    table: str
    key: tuple[str, ...]
    source: str
    values: tuple[str, ...]
    trigger: str

    @property
    def columns(self) -> str:
        return ", ".join(self.key)

    def count_sql(self, rows: str) -> str:
        """The upsert adding `rows` (a query giving the source's columns and `sign`) to the
        counts: one per key, in key order; keys whose changes cancel out are left alone. A
        row whose person is gone counts nowhere (never so: a flag protects its person, and a
        person's goals are deleted before the person)."""
        positions = ", ".join(str(i + 1) for i in range(len(self.key)))
        return f"""
INSERT INTO {self.table} ({self.columns}, n)
SELECT {", ".join(self.values)}, sum(r.sign)
  FROM ({rows}) r JOIN patients_patient p ON p.id = r.patient_id
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
COUNTED = (FLAGS, GOALS)


def _counting(counted: Counted, name: str, tables: list[tuple[str, int]]) -> str:
    """A statement trigger's function: the rows a statement removed (-1) and made (+1)
    counted, after their networks' rows are locked (FOR KEY SHARE, in id order)."""
    rows = " UNION ALL ".join(f"SELECT *, {sign} AS sign FROM {table}" for table, sign in tables)
    people = " UNION ".join(f"SELECT patient_id FROM {table}" for table, _ in tables)
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM networks_network
   WHERE id IN (SELECT network_id FROM patients_patient WHERE id IN ({people}))
   ORDER BY id FOR KEY SHARE;
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


# A person moved to another network takes their flags' and goals' counts along. SECURITY
# DEFINER: both networks' counts, whoever's scope the change is made in (the admin).
_MOVE = f"""
CREATE FUNCTION reports_person_moved() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  PERFORM 1 FROM networks_network WHERE id IN (OLD.network_id, NEW.network_id)
   ORDER BY id FOR KEY SHARE;
  {" ".join(_moving(c, "OLD.network_id", -1) + _moving(c, "NEW.network_id", 1) for c in COUNTED)}
  RETURN NULL;
END $$"""

TRIGGERS_SQL = [
    *_triggers(FLAGS),
    *_triggers(GOALS),
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

REBUILD_ALL_SQL = [
    f"LOCK TABLE {FLAGS.table}, {GOALS.table} IN EXCLUSIVE MODE",
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
        cursor.execute(f"LOCK TABLE {FLAGS.table}, {GOALS.table} IN EXCLUSIVE MODE")
        for counted in COUNTED:
            if ids is None:
                where, params = "true", []
                rows = f"SELECT *, 1 AS sign FROM {counted.source}"
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
