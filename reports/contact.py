"""First contact after acceptance stored as it happens (reports.models.FirstContact and
ContactTally), so the dashboard's per-service waits read a few hundred counts instead of
looking up the first visit and task of every accepted referral (seconds at a million).

Each referral accepted (or since completed) has one FirstContact row: the person's first
visit (medicines) or task done at or after the triage, whichever came first, and the working
days from triage to it. ContactTally counts those rows per network, London month the
referral was made, service, contacted or not, and working days: a histogram of small
integers, so the median and 90th percentile are exact (as reports.tally's triage times).

Exact at every moment: statement triggers on referrals, visits and tasks recompute the first
contact of every accepted referral of the people a statement touched, in the transaction
that changes it, whoever writes (the services, the admin, a bulk update), and move each
changed row's count from its old key to its new one. The first contact is its own table, not
a column of the referral, so that a visit does not write a referral history event
(pghistory tracks every change of a referral row).

Concurrency. The first contact of a person's referral depends on rows that two transactions
can change at once (a visit in one, the task done in the other): each would compute it
without the other's uncommitted row. So the recomputation of a person is serialised: a
transaction-level advisory lock per person (two 32-bit keys: this module's space and a hash
of the person's id), taken in key order, after which each statement reads what the previous
holder committed (READ COMMITTED: a new snapshot per statement). Lock order, the same for
every writer: the networks' rows (FOR KEY SHARE, as reports.tally's triggers; triage locks
its network FOR UPDATE first), then the table's lock, then the people's advisory locks, then
the counters' rows in key order (one upsert). A statement touching many people (a bulk
update) takes one table lock (SHARE ROW EXCLUSIVE, which conflicts with the ROW EXCLUSIVE
every other recomputation takes first) instead of thousands of advisory locks, which would
not fit in PostgreSQL's lock table.

``rebuild`` (called by ``reports.tally.rebuild``, hence ``manage.py rebuild_report_figures``
and generate_synthetic) recomputes both tables for some networks or all."""

# ruff: noqa: S608 (only this module's constant table and column names are put into SQL;
# every value is a parameter)

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, connections, transaction

from core.replica import read_alias

TABLE = "reports_firstcontact"
COLUMNS = (
    "referral_id, network_id, patient_id, month, service, triaged_at, first_at, contacted, days"
)
TALLY = "reports_contacttally"
TALLY_KEY = "network_id, month, service, contacted, days"
LOCK_SPACE = 0x1C4_C047  # the advisory locks' first key (the second: hashint8(patient id))
MANY = 64  # people in one statement above which the table is locked instead

ACCEPTED = "('accepted', 'completed')"

# Each accepted or completed referral matching `where` (on `r`, the referral) with its first
# contact: the first visit or task done at or after triage (null if none yet, or not
# triaged), and the working days from the London day of triage to that of the contact
# (null when not contacted or a day is missing from the calendar). A referral whose network
# is gone counts nowhere (as reports.tally).
FRESH_SQL = f"""
SELECT r.id AS referral_id, r.network_id, r.patient_id,
       date_trunc('month', r.created_at AT TIME ZONE 'Europe/London')::date AS month,
       r.service, r.triaged_at, c.first_at, c.first_at IS NOT NULL AS contacted,
       (f.working_index - t.working_index)::smallint AS days
  FROM referrals_referral r
  JOIN networks_network net ON net.id = r.network_id
  CROSS JOIN LATERAL (
    SELECT LEAST(
      (SELECT min(v.visited_at) FROM medicines_visit v
        WHERE v.patient_id = r.patient_id AND v.visited_at >= r.triaged_at),
      (SELECT min(a.done_at) FROM actions_action a
        WHERE a.patient_id = r.patient_id AND a.status = 'done'
          AND a.done_at >= r.triaged_at)) AS first_at) c
  LEFT JOIN reports_calendarday t ON t.day = (r.triaged_at AT TIME ZONE 'Europe/London')::date
  LEFT JOIN reports_calendarday f ON f.day = (c.first_at AT TIME ZONE 'Europe/London')::date
 WHERE r.status IN {ACCEPTED} AND {{where}}"""

# The first contacts of the referrals of the people in `people` (a bigint[]) recomputed:
# rows no longer accepted (or gone) deleted, the others written where they changed, and the
# counters moved from the old keys to the new, one upsert in key order (but for a network
# deleted in this transaction, whose counters go with it). The old rows: the people's, and
# any of their referrals' kept under another person (the referral moved); two index scans,
# not one OR (which would read the whole table).
_C_KEY = ", ".join(f"c.{column}" for column in TALLY_KEY.split(", "))
_REFRESH = f"""
WITH fresh AS MATERIALIZED ({FRESH_SQL.format(where="r.patient_id = ANY(people)")}),
old AS MATERIALIZED (
  SELECT {TALLY_KEY} FROM {TABLE} WHERE patient_id = ANY(people)
  UNION ALL
  SELECT {_C_KEY} FROM {TABLE} c JOIN fresh f ON f.referral_id = c.referral_id
   WHERE c.patient_id <> ALL(people)),
gone AS (
  DELETE FROM {TABLE} c WHERE c.patient_id = ANY(people)
     AND c.referral_id NOT IN (SELECT referral_id FROM fresh)),
kept AS (
  INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM fresh
  ON CONFLICT (referral_id) DO UPDATE SET
     network_id = EXCLUDED.network_id, patient_id = EXCLUDED.patient_id,
     month = EXCLUDED.month, service = EXCLUDED.service, triaged_at = EXCLUDED.triaged_at,
     first_at = EXCLUDED.first_at, contacted = EXCLUDED.contacted, days = EXCLUDED.days
   WHERE ({TABLE}.network_id, {TABLE}.patient_id, {TABLE}.month, {TABLE}.service,
          {TABLE}.triaged_at, {TABLE}.first_at, {TABLE}.days)
         IS DISTINCT FROM (EXCLUDED.network_id, EXCLUDED.patient_id, EXCLUDED.month,
          EXCLUDED.service, EXCLUDED.triaged_at, EXCLUDED.first_at, EXCLUDED.days))
INSERT INTO {TALLY} ({TALLY_KEY}, n)
SELECT {TALLY_KEY}, sum(sign) FROM (
  SELECT {TALLY_KEY}, -1 AS sign FROM old
  UNION ALL SELECT {TALLY_KEY}, 1 FROM fresh) x
 WHERE EXISTS (SELECT FROM networks_network net WHERE net.id = x.network_id)
 GROUP BY 1, 2, 3, 4, 5 HAVING sum(sign) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT ({TALLY_KEY}) DO UPDATE SET n = {TALLY}.n + EXCLUDED.n"""

REFRESH_FUNCTION_SQL = f"""
CREATE FUNCTION reports_first_contact_refresh(people bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  h integer;
BEGIN
  IF people IS NULL OR cardinality(people) = 0 THEN
    RETURN;
  END IF;
  PERFORM 1 FROM networks_network
    WHERE id IN (SELECT network_id FROM patients_patient WHERE id = ANY(people))
    ORDER BY id FOR KEY SHARE;
  IF cardinality(people) > {MANY} THEN
    LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE;
  ELSE
    LOCK TABLE {TABLE} IN ROW EXCLUSIVE MODE;
    FOR h IN SELECT DISTINCT hashint8(p) FROM unnest(people) p ORDER BY 1 LOOP
      PERFORM pg_advisory_xact_lock({LOCK_SPACE}, h);
    END LOOP;
  END IF;
  {_REFRESH};
END $$"""


def _trigger(table: str, event: str, people: str) -> list[str]:
    """A statement trigger on `table` for `event` that refreshes the people `people` (a
    query over the transition tables old_rows/new_rows giving patient ids) names."""
    name = f"reports_first_contact_{table.split('_', 1)[1]}_{event.lower()}"
    tables = {
        "INSERT": "NEW TABLE AS new_rows",
        "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "DELETE": "OLD TABLE AS old_rows",
    }[event]
    return [
        f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM reports_first_contact_refresh(
    ARRAY(SELECT DISTINCT p FROM ({people}) x(p) WHERE p IS NOT NULL));
  RETURN NULL;
END $$""",
        f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
    ]


def _changed(columns: str, relevant: str) -> str:
    """The people (old and new) of updated rows whose `columns` changed and which are
    `relevant` (a condition on a row `x`) before or after."""
    old = ", ".join(f"o.{c}" for c in columns.split(", "))
    new = ", ".join(f"n.{c}" for c in columns.split(", "))
    return f"""
SELECT unnest(ARRAY[o.patient_id, n.patient_id]) FROM old_rows o JOIN new_rows n ON n.id = o.id
 WHERE ({old}) IS DISTINCT FROM ({new})
   AND ({relevant.replace("x.", "o.")} OR {relevant.replace("x.", "n.")})"""


_REFERRAL = f"x.status IN {ACCEPTED}"
_TASK = "x.status = 'done'"
_WATCHED = {
    # table: (what makes a row matter, the columns the first contact depends on)
    "referrals_referral": (
        _REFERRAL,
        "network_id, patient_id, created_at, service, status, triaged_at",
    ),
    "medicines_visit": ("true", "patient_id, visited_at"),
    "actions_action": (_TASK, "patient_id, status, done_at"),
}

TRIGGERS_SQL = [REFRESH_FUNCTION_SQL]
for _table, (_relevant, _columns) in _WATCHED.items():
    TRIGGERS_SQL += _trigger(
        _table,
        "INSERT",
        f"SELECT x.patient_id FROM new_rows x WHERE {_relevant}",
    )
    TRIGGERS_SQL += _trigger(_table, "UPDATE", _changed(_columns, _relevant))
    TRIGGERS_SQL += _trigger(
        _table,
        "DELETE",
        f"SELECT x.patient_id FROM old_rows x WHERE {_relevant}",
    )

TRIGGERS_REVERSE_SQL = [
    statement
    for table in _WATCHED
    for event in ("insert", "update", "delete")
    for statement in (
        f"DROP TRIGGER reports_first_contact_{table.split('_', 1)[1]}_{event} ON {table}",
        f"DROP FUNCTION reports_first_contact_{table.split('_', 1)[1]}_{event}()",
    )
] + ["DROP FUNCTION reports_first_contact_refresh(bigint[])"]


def _rebuild_sql(where: str, fresh_where: str) -> list[str]:
    """Both tables recomputed for the referrals `fresh_where` (on `r`) and the rows `where`
    (on the tables' network_id), under locks that make the triggers wait."""
    return [
        f"LOCK TABLE {TABLE}, {TALLY} IN EXCLUSIVE MODE",
        f"""DELETE FROM {TABLE} WHERE {where}
              OR referral_id IN (SELECT r.id FROM referrals_referral r WHERE {fresh_where})""",
        f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} "
        f"FROM ({FRESH_SQL.format(where=fresh_where)}) f",
        f"DELETE FROM {TALLY} WHERE {where}",
        f"""INSERT INTO {TALLY} ({TALLY_KEY}, n)
            SELECT {TALLY_KEY}, count(*) FROM {TABLE} WHERE {where}
             GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5""",
        # Fresh planner statistics: without them (new tables) the dashboard's read of the
        # counts is planned for a few rows and sorts tens of thousands on disk.
        f"ANALYZE {TABLE}, {TALLY}",
    ]


# Every network rebuilt, as statements: what the migration that makes the tables runs last
# (no upserts: the unique keys are made at the end of the migration).
REBUILD_ALL_SQL = [
    "SELECT 1 FROM networks_network ORDER BY id FOR KEY SHARE",
    *_rebuild_sql("true", "true"),
]


def rebuild(network_ids: Iterable[int] | None = None) -> int:
    """Recompute the first contacts of these networks' referrals (all, if None) and their
    counts; returns the rows written. Idempotent. The networks' rows are locked first, as the
    triggers do, then the tables (EXCLUSIVE: reads go on), so a referral, visit or task
    changed meanwhile waits and is then counted once."""
    ids = None if network_ids is None else sorted(set(network_ids))
    where, params = ("true", []) if ids is None else ("network_id = ANY(%s)", [ids])
    fresh_where = "true" if ids is None else "r.network_id = ANY(%s)"
    statements = _rebuild_sql(where, fresh_where)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM networks_network WHERE {where.replace('network_id', 'id')} "
            "ORDER BY id FOR KEY SHARE",
            params,
        )
        cursor.execute(statements[0])
        cursor.execute(statements[1], params * 2)
        cursor.execute(statements[2], params)
        written += cursor.rowcount
        cursor.execute(statements[3], params)
        cursor.execute(statements[4], params)
        written += cursor.rowcount
        cursor.execute(statements[5])
    return written


# --- reading ------------------------------------------------------------------------------------


def histograms(scope) -> dict[str, tuple[int, int, dict[int | None, int]]]:
    """Per service, for referrals made in the scope's months and accepted: how many, how
    many contacted, and the contacted ones by working days to first contact (None: a day
    missing from the calendar)."""
    sql = f"""
SELECT service, contacted, days, sum(n) FROM {TALLY}
 WHERE network_id = ANY(%s) AND month >= %s AND month <= %s {{service}}
 GROUP BY service, contacted, days HAVING sum(n) > 0"""
    params: list = [list(scope.network_ids), scope.first, scope.last]
    if scope.service:
        params.append(scope.service)
    services: dict[str, tuple[int, int, dict[int | None, int]]] = {}
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql.format(service="AND service = %s" if scope.service else ""), params)
        for service, contacted, days, n in cursor.fetchall():
            accepted, reached, histogram = services.get(service, (0, 0, {}))
            if contacted:
                histogram[days] = histogram.get(days, 0) + int(n)
                reached += int(n)
            services[service] = (accepted + int(n), reached, histogram)
    return services
