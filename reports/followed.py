"""The dashboard's admissions after discharge stored as they happen
(reports.models.FollowedTally), as reports/stored.py stores its counts.

At 40 networks a year's discharges are 38,000 episodes, each probing the admissions for an
emergency admission within 30 and 90 days: 100-200 ms. The counts are kept per network,
London day of discharge, answer at discharge, and whether an emergency admission followed
within 30 and within 90 days; the figure sums the days of the period (a discharge is only
"followed" for 30 or 90 days once that many days have passed, which depends on the day the
figure is read, so the day of discharge is kept, not the month).

Exact at every moment: statement triggers on ``huddles_episode`` move a changed episode's
count (probing the admissions as they are); statement triggers on
``reports_admissionevent`` recount the closed episodes of the people whose admissions
changed, taking them out under the admissions as they were (the table less the statement's
new rows, plus its old rows) and in under the admissions as they are. Networks' rows are
locked first, in id order, as in reports/tally.py."""

# ruff: noqa: S608 (only this module's constant table and column names are put into SQL;
# every value is a parameter)

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import connection, connections, transaction

from core.replica import read_alias

TABLE = "reports_followedtally"
KEY = "network_id, closed_on, answer, admitted_30, admitted_90"
ADMISSIONS = "SELECT patient_id, kind, admitted_on FROM reports_admissionevent"
_DAY = "(r.closed_at AT TIME ZONE 'Europe/London')::date"


def _admitted(admissions: str, days: int) -> str:
    return f"""EXISTS (SELECT 1 FROM ({admissions}) a
  WHERE a.patient_id = r.patient_id AND a.kind = 'emergency'
    AND a.admitted_on > {_DAY} AND a.admitted_on <= {_DAY} + {days})"""


def _flagged(rows: str, admissions: str) -> str:
    """Closed episodes of `rows` (episodes' columns and `sign`) under their key, whether an
    emergency admission of `admissions` followed each."""
    return f"""SELECT r.network_id, {_DAY} AS closed_on, r.admission_avoided AS answer,
       {_admitted(admissions, 30)} AS admitted_30, {_admitted(admissions, 90)} AS admitted_90,
       r.sign
  FROM ({rows}) r WHERE r.closed_at IS NOT NULL"""


def _upsert(flagged: list[str]) -> str:
    """The flagged rows added to the counts: one upsert per key, in key order."""
    union = " UNION ALL ".join(flagged)
    return f"""
INSERT INTO {TABLE} ({KEY}, n)
SELECT x.network_id, x.closed_on, x.answer, x.admitted_30, x.admitted_90, sum(x.sign)
  FROM ({union}) x JOIN networks_network net ON net.id = x.network_id
 GROUP BY 1, 2, 3, 4, 5 HAVING sum(x.sign) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT ({KEY}) DO UPDATE SET n = {TABLE}.n + EXCLUDED.n"""


def _function(name: str, networks: str, body: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM networks_network WHERE id IN ({networks}) ORDER BY id FOR KEY SHARE;
  {body};
  RETURN NULL;
END $$"""


_EVENTS = {
    "insert": ("INSERT", "NEW TABLE AS new_rows", [("new_rows", 1)]),
    "update": (
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        [("old_rows", -1), ("new_rows", 1)],
    ),
    "delete": ("DELETE", "OLD TABLE AS old_rows", [("old_rows", -1)]),
}


def _episode_triggers() -> list[str]:
    sql = []
    for op, (event, tables, signs) in _EVENTS.items():
        name = f"reports_followed_episode_{op}"
        networks = " UNION ".join(f"SELECT network_id FROM {t}" for t, _ in signs)
        flagged = [_flagged(f"SELECT *, {s} AS sign FROM {t}", ADMISSIONS) for t, s in signs]
        sql.append(_function(name, networks, _upsert(flagged)))
        sql.append(
            f"CREATE TRIGGER {name} AFTER {event} ON huddles_episode REFERENCING {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return sql


def _admission_triggers() -> list[str]:
    sql = []
    for op, (event, tables, signs) in _EVENTS.items():
        name = f"reports_followed_admission_{op}"
        names = [t for t, _ in signs]
        people = " UNION ".join(f"SELECT patient_id FROM {t}" for t in names)
        episodes = (
            f"SELECT * FROM huddles_episode WHERE closed_at IS NOT NULL "
            f"AND patient_id IN ({people})"
        )
        # The admissions before the statement: the table less its new rows, plus its old.
        before = ADMISSIONS
        if "new_rows" in names:
            before += " WHERE id NOT IN (SELECT id FROM new_rows)"
        if "old_rows" in names:
            before += " UNION ALL SELECT patient_id, kind, admitted_on FROM old_rows"
        flagged = [
            _flagged(f"SELECT e.*, -1 AS sign FROM ({episodes}) e", before),
            _flagged(f"SELECT e.*, 1 AS sign FROM ({episodes}) e", ADMISSIONS),
        ]
        networks = f"SELECT network_id FROM ({episodes}) e"
        sql.append(_function(name, networks, _upsert(flagged)))
        sql.append(
            f"CREATE TRIGGER {name} AFTER {event} ON reports_admissionevent "
            f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return sql


TRIGGERS_SQL = [*_episode_triggers(), *_admission_triggers()]
TRIGGERS_REVERSE_SQL = [
    *(
        f"DROP TRIGGER reports_followed_{on}_{op} ON {table}"
        for on, table in (("episode", "huddles_episode"), ("admission", "reports_admissionevent"))
        for op in _EVENTS
    ),
    *(
        f"DROP FUNCTION reports_followed_{on}_{op}()"
        for on in ("episode", "admission")
        for op in _EVENTS
    ),
]

_EVERY_EPISODE = "SELECT *, 1 AS sign FROM huddles_episode"
REBUILD_ALL_SQL = [
    f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE",
    f"DELETE FROM {TABLE}",
    _upsert([_flagged(_EVERY_EPISODE, ADMISSIONS)]),
]


def rebuild(network_ids: Iterable[int] | None = None) -> int:
    """Recompute the counts of these networks (all, if None) from their episodes and the
    admissions; returns the rows written. Idempotent, under a lock as stored.rebuild."""
    ids = None if network_ids is None else sorted(set(network_ids))
    where, params = ("true", []) if ids is None else ("network_id = ANY(%s)", [ids])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {TABLE} WHERE {where}", params)
        cursor.execute(_upsert([_flagged(f"{_EVERY_EPISODE} WHERE {where}", ADMISSIONS)]), params)
        return cursor.rowcount


READ_SQL = f"""
SELECT answer, sum(n),
       sum(n) FILTER (WHERE closed_on + 30 <= %(today)s),
       sum(n) FILTER (WHERE closed_on + 30 <= %(today)s AND admitted_30),
       sum(n) FILTER (WHERE closed_on + 90 <= %(today)s),
       sum(n) FILTER (WHERE closed_on + 90 <= %(today)s AND admitted_90)
  FROM {TABLE}
 WHERE network_id = ANY(%(networks)s) AND closed_on >= %(first)s AND closed_on < %(end)s
 GROUP BY answer"""


def after_discharge(scope, today: date) -> list[tuple[str, int, int, int, int, int]]:
    """Per answer at discharge: (answer, discharged, followed_30, admitted_30, followed_90,
    admitted_90) for episodes closed in the period, as of `today` (a London day)."""
    params = {
        "networks": list(scope.network_ids),
        "first": scope.first,
        "end": scope.end_day,
        "today": today,
    }
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(READ_SQL, params)
        return [(answer, *(int(v or 0) for v in rest)) for answer, *rest in cursor.fetchall()]
