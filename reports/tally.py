"""The dashboard's referral figures stored as they happen (reports.models.ReferralTally and
TriageTally).

Counting a million referrals for the dashboard took seconds; reading their counts, kept per
network, London month, service and source (a column per status and per decline reason: a row
per status and reason was six times the rows, 134,000 for 40 networks' year), and per
working days to triage, takes milliseconds (referrals made per service and source, the
inappropriate rate, working days to triage, the waiting list). Exact at every moment:
statement triggers on ``referrals_referral`` move each changed referral's counts from the key
and columns it had to those it has, in the transaction that changes it, whatever makes the
change (the referral services, the admin, a bulk update, a data migration), as pghistory's
triggers record its history. Two transactions counting into the same row are serialised by
the row lock that ``INSERT ... ON CONFLICT DO UPDATE`` takes, so no count is lost. The key
is what ``reports.figures`` groups and filters by, computed the same way.

An organisation whose kind changes moves its referrals' counts to the new source (a row
trigger on organisations). The calendar is filled once by a migration; if it is ever filled
again after referrals were triaged (tests that flush the database), ``rebuild`` puts the
counts right.

``rebuild`` (``manage.py rebuild_report_figures``) recomputes the counts from the referrals,
for some networks or all, under a lock that makes referral writes wait for it."""

# ruff: noqa: S608 (only this module's constant table and column names are put into SQL;
# every value is a parameter)

from __future__ import annotations

from collections.abc import Iterable
from math import floor

from django.db import connection, connections, transaction

from core.replica import read_alias

from . import contact

TABLE = "reports_referraltally"
KEY = "network_id, month, service, source"
TRIAGE_TABLE = "reports_triagetally"
TRIAGE_KEY = "network_id, month, service, days"

# ReferralTally's counts: every referral (n), then per status, then the declined per reason
# (reports.models.STATUS_COLUMNS and REASON_COLUMNS: the referral's value is the column name).
STATUSES = ("new", "accepted", "completed", "declined", "withdrawn")
REASONS = ("inappropriate", "already_known", "outside_area", "person_declined", "other")
# (Columns "status_new", not "new": NEW is the trigger functions' row variable.)
COUNTS = ("n", *(f"status_{s}" for s in STATUSES), *(f"declined_{x}" for x in REASONS))

_MONTH = "date_trunc('month', r.created_at AT TIME ZONE 'Europe/London')::date"


def _sums(factor: str) -> str:
    """Each of COUNTS summed over referral rows `r` (each counting `factor`)."""
    return ", ".join(
        [
            f"sum({factor})",
            *(f"sum(CASE WHEN r.status = '{s}' THEN {factor} ELSE 0 END)" for s in STATUSES),
            *(f"sum(CASE WHEN r.decline_reason = '{x}' THEN {factor} ELSE 0 END)" for x in REASONS),
        ]
    )


_ADD = ", ".join(f"{c} = {TABLE}.{c} + EXCLUDED.{c}" for c in COUNTS)
_CHANGED = f"({', '.join(COUNTS)}) <> ({', '.join('0' for _ in COUNTS)})"

# Referral rows (`rows`: a query giving referrals_referral's columns and `sign`, +1 or -1)
# added to the counts under their keys, exactly as reports.figures groups them: the London
# month, figures.referral_source, and working days to triage as the difference of the
# calendar's working_index (null when a day is missing). One upsert per key, in key order
# (two statements lock the counters' rows in the same order); keys whose changes cancel
# out are left alone. A referral whose network is gone (deleted with it, as
# demo.synthetic.deleting does) counts nowhere.
COUNT_SQL = f"""
INSERT INTO {TABLE} ({KEY}, {", ".join(COUNTS)})
SELECT * FROM (
  SELECT r.network_id, {_MONTH} AS month, r.service,
         CASE WHEN r.origin = 'red_flag' THEN 'red_flag' ELSE coalesce(o.kind, 'member') END
           AS source,
         {_sums("r.sign")}
    FROM ({{rows}}) r
    JOIN networks_network net ON net.id = r.network_id
    LEFT JOIN networks_organisation o ON o.id = r.source_organisation_id
   GROUP BY 1, 2, 3, 4) AS c ({KEY}, {", ".join(COUNTS)})
 WHERE {_CHANGED} ORDER BY 1, 2, 3, 4
    ON CONFLICT ({KEY}) DO UPDATE SET {_ADD}"""
COUNT_TRIAGE_SQL = f"""
INSERT INTO {TRIAGE_TABLE} ({TRIAGE_KEY}, n)
SELECT r.network_id, {_MONTH}, r.service, t.working_index - m.working_index, sum(r.sign)
  FROM ({{rows}}) r
  JOIN networks_network net ON net.id = r.network_id
  LEFT JOIN reports_calendarday m ON m.day = (r.created_at AT TIME ZONE 'Europe/London')::date
  LEFT JOIN reports_calendarday t ON t.day = (r.triaged_at AT TIME ZONE 'Europe/London')::date
 WHERE r.triaged_at IS NOT NULL
 GROUP BY 1, 2, 3, 4 HAVING sum(r.sign) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT ({TRIAGE_KEY}) DO UPDATE SET n = {TRIAGE_TABLE}.n + EXCLUDED.n"""


def _counting(name: str, tables: list[tuple[str, int]]) -> str:
    """A statement trigger's function: the rows a statement removed (`old_rows`, -1) and
    made (`new_rows`, +1) counted, after their networks' rows are locked (FOR KEY SHARE, as
    the foreign key's check at commit would, in id order). Triage locks the network's row
    FOR UPDATE before it counts (referrals.services._lock), so every writer takes the
    network's row before the counters' and a referral made while another is triaged never
    deadlocks."""
    rows = " UNION ALL ".join(f"SELECT *, {sign} AS sign FROM {table}" for table, sign in tables)
    networks = " UNION ".join(f"SELECT network_id FROM {table}" for table, _ in tables)
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM networks_network WHERE id IN ({networks}) ORDER BY id FOR KEY SHARE;
  {COUNT_SQL.format(rows=rows)};
  {COUNT_TRIAGE_SQL.format(rows=rows)};
  RETURN NULL;
END $$"""


# An organisation's referrals (not raised by red flags) counted under `kind` (n each).
_ORGANISATION = f"""
  INSERT INTO {TABLE} ({KEY}, {", ".join(COUNTS)})
    SELECT r.network_id, {_MONTH}, r.service, {{kind}}, {_sums("{n}")}
      FROM referrals_referral r
     WHERE r.source_organisation_id = NEW.id AND r.origin <> 'red_flag'
     GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT ({KEY}) DO UPDATE SET {_ADD};"""

_ON = "AFTER {event} ON referrals_referral REFERENCING {tables} FOR EACH STATEMENT"
TRIGGERS_SQL = [
    _counting("reports_referral_tally_insert", [("new_rows", 1)]),
    _counting("reports_referral_tally_update", [("old_rows", -1), ("new_rows", 1)]),
    _counting("reports_referral_tally_delete", [("old_rows", -1)]),
    "CREATE TRIGGER reports_referral_tally_insert "
    + _ON.format(event="INSERT", tables="NEW TABLE AS new_rows")
    + " EXECUTE FUNCTION reports_referral_tally_insert()",
    "CREATE TRIGGER reports_referral_tally_update "
    + _ON.format(event="UPDATE", tables="OLD TABLE AS old_rows NEW TABLE AS new_rows")
    + " EXECUTE FUNCTION reports_referral_tally_update()",
    "CREATE TRIGGER reports_referral_tally_delete "
    + _ON.format(event="DELETE", tables="OLD TABLE AS old_rows")
    + " EXECUTE FUNCTION reports_referral_tally_delete()",
    # An organisation's kind is its referrals' source: when it changes, their counts move.
    # SECURITY DEFINER: every network's referrals from it, whoever's scope the change is
    # made in (the admin).
    f"""
CREATE FUNCTION reports_organisation_tally() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN {_ORGANISATION.format(kind="OLD.kind", n="-1")} {_ORGANISATION.format(kind="NEW.kind", n="1")}
  RETURN NULL;
END $$""",
    "CREATE TRIGGER reports_organisation_tally AFTER UPDATE OF kind ON networks_organisation "
    "FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind) "
    "EXECUTE FUNCTION reports_organisation_tally()",
]

TRIGGERS_REVERSE_SQL = [
    "DROP TRIGGER reports_organisation_tally ON networks_organisation",
    "DROP FUNCTION reports_organisation_tally()",
    *(
        f"DROP TRIGGER reports_referral_tally_{op} ON referrals_referral"
        for op in ("insert", "update", "delete")
    ),
    *(f"DROP FUNCTION reports_referral_tally_{op}()" for op in ("insert", "update", "delete")),
]


# Every network rebuilt, as statements: what the migration after the one that makes the
# tables runs (the referrals already made, counted once whatever the triggers counted
# between the two).
REBUILD_ALL_SQL = [
    f"LOCK TABLE {TABLE}, {TRIAGE_TABLE} IN EXCLUSIVE MODE",
    f"DELETE FROM {TABLE}",
    f"DELETE FROM {TRIAGE_TABLE}",
    *(
        sql.format(rows="SELECT *, 1 AS sign FROM referrals_referral")
        for sql in (COUNT_SQL, COUNT_TRIAGE_SQL)
    ),
]


def rebuild(network_ids: Iterable[int] | None = None) -> int:
    """Recompute the counts of these networks (all, if None) from their referrals; returns
    the rows written. Idempotent. The tables are locked against the triggers' writes
    (EXCLUSIVE: reads go on) so that no referral changed meanwhile is counted twice or lost;
    referral writes wait until it commits. Then each accepted referral's first contact and its
    counts (reports.contact.rebuild)."""
    ids = None if network_ids is None else sorted(set(network_ids))
    where, params = ("true", []) if ids is None else ("network_id = ANY(%s)", [ids])
    rows = f"SELECT *, 1 AS sign FROM referrals_referral WHERE {where}"
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE}, {TRIAGE_TABLE} IN EXCLUSIVE MODE")
        for table, sql in ((TABLE, COUNT_SQL), (TRIAGE_TABLE, COUNT_TRIAGE_SQL)):
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)
            cursor.execute(sql.format(rows=rows), params)
            written += cursor.rowcount
        # The planner's picture of the tables after writing them wholesale (a stale one
        # sorted 127,000 rows on disk where a hash of 44 groups was right).
        cursor.execute(f"ANALYZE {TABLE}, {TRIAGE_TABLE}")
    # First contact after acceptance (its own tables and triggers).
    return written + contact.rebuild(ids)


# --- reading the figures -----------------------------------------------------------------------


def _scope_where(scope) -> tuple[str, list]:
    sql = "network_id = ANY(%s) AND month >= %s AND month <= %s"
    params: list = [list(scope.network_ids), scope.first, scope.last]
    if scope.service:
        sql += " AND service = %s"
        params.append(scope.service)
    return sql, params


def counts(scope) -> list[dict]:
    """referrals_in's counts per service and source, from the tally."""
    where, params = _scope_where(scope)
    by_reason = ", ".join(f"sum(declined_{reason})" for reason in REASONS)
    sql = f"""
SELECT service, source, sum(n), sum(status_new), sum(status_accepted) + sum(status_completed),
       sum(status_declined), sum(status_withdrawn), {by_reason}
  FROM {TABLE} WHERE {where}
 GROUP BY service, source HAVING sum(n) > 0
 ORDER BY service, source"""
    names = ["total", "waiting", "accepted", "declined", "withdrawn"]
    names += [f"declined_{reason}" for reason in REASONS]
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        return [
            {"source": source, "service": service, **dict(zip(names, map(int, rest), strict=True))}
            for service, source, *rest in cursor.fetchall()
        ]


def waiting(scope) -> dict[str, tuple[int, int]]:
    """Per service: referrals new and accepted now (made in any month), from the tally."""
    sql = f"""
SELECT service, sum(status_new), sum(status_accepted)
  FROM {TABLE} WHERE network_id = ANY(%s) {{service}}
 GROUP BY service HAVING sum(status_new) + sum(status_accepted) > 0"""
    params: list = [list(scope.network_ids)]
    if scope.service:
        params.append(scope.service)
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql.format(service="AND service = %s" if scope.service else ""), params)
        return {service: (int(new), int(accepted)) for service, new, accepted in cursor}


def triage_histogram(scope) -> dict[str, dict[int | None, int]]:
    """Per service: triaged referrals made in the period, by working days to triage (None:
    a day missing from the calendar)."""
    where, params = _scope_where(scope)
    sql = f"""
SELECT service, days, sum(n) FROM {TRIAGE_TABLE}
 WHERE {where} GROUP BY service, days HAVING sum(n) > 0"""
    services: dict[str, dict[int | None, int]] = {}
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        for service, days, n in cursor.fetchall():
            services.setdefault(service, {})[days] = int(n)
    return services


def percentile(histogram: dict[int | None, int], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont over the values a histogram counts (None not counted):
    the value at position fraction * (N - 1) of the sorted values, interpolated between the
    two either side, as PostgreSQL computes it (float8)."""
    values = sorted((v, n) for v, n in histogram.items() if v is not None and n > 0)
    total = sum(n for _, n in values)
    if not total:
        return None
    position = fraction * (total - 1)
    lower = floor(position)

    def at(index: int) -> float:
        seen = 0
        for value, n in values:
            seen += n
            if index < seen:
                return float(value)
        return float(values[-1][0])

    first = at(lower)
    if position == lower:
        return first
    return first + (position - lower) * (at(lower + 1) - first)
