"""The reminder-sweep benchmark's measuring: the set-based floor (one INSERT..SELECT), the
untimed check that the sweep and the floor insert the same rows, the timed runs, interleaved
and rolled back, and the report."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field

from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from actions.reminders import sweep_overdue_actions
from benchmarks.harness import machine, min_median, print_profile, rolled_back
from benchmarks.sweep_data import NOW, DataSet, describe, vacuum_notifications
from benchmarks.sweep_floor import CHECKSUM_SQL, floor_statement
from core.workdays import working_days_cutoff


def _notifications() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM notifications_notification")
        return cursor.fetchone()


def _checksum(after_id: int) -> tuple[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(CHECKSUM_SQL, [after_id])
        return cursor.fetchone()


def _breakdown(after_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT kind, count(*), count(covering_for_id),
                   count(*) FILTER (WHERE email = 'pending'), count(*) FILTER (WHERE email = 'none')
            FROM notifications_notification WHERE id > %s GROUP BY kind ORDER BY kind
            """,
            [after_id],
        )
        return "; ".join(
            f"{kind} {n:,} ({copies:,} deputies' copies, {pending:,} to e-mail now, "
            f"{none:,} not e-mailed)"
            for kind, n, copies, pending, none in cursor.fetchall()
        )


@dataclass
class Result:
    data: DataSet
    sweep_inserted: int = 0
    sweep_offered: int = 0
    sweep_checksum: str = ""
    floor_inserted: int = 0
    floor_checksum: str = ""
    rerun_inserted: int = -1
    queries: int = 0
    sql_ms: dict = field(default_factory=dict)
    breakdown: str = ""
    load: float = 0.0  # the highest 1-minute load average seen (other work on the machine)
    sweep_ms: list = field(default_factory=list)
    rerun_ms: list = field(default_factory=list)
    floor_ms: list = field(default_factory=list)
    errors: list = field(default_factory=list)


def check(result: Result, explain: bool) -> list:
    """One untimed run of each: rows inserted, their checksum, the re-run, the queries."""

    captured = []
    with rolled_back(immediate=True):
        _, last_id = _notifications()
        with CaptureQueriesContext(connection) as ctx:
            result.sweep_offered = sweep_overdue_actions(NOW)
        result.sweep_inserted, result.sweep_checksum = _checksum(last_id)
        result.breakdown = _breakdown(last_id)
        captured = ctx.captured_queries
        after, _ = _notifications()
        sweep_overdue_actions(NOW)
        result.rerun_inserted = _notifications()[0] - after
    result.queries = len(captured)
    for query in captured:
        verb = query["sql"].lstrip().split(None, 1)[0].upper()
        result.sql_ms[verb] = result.sql_ms.get(verb, 0.0) + float(query["time"]) * 1000
    sql, params = floor_statement(NOW.date())
    with rolled_back(immediate=True):
        _, last_id = _notifications()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            result.floor_inserted = cursor.rowcount
        count, result.floor_checksum = _checksum(last_id)
        if count != result.floor_inserted:
            result.errors.append(f"floor: rowcount {result.floor_inserted}, rows {count}")
    if result.sweep_inserted != result.floor_inserted:
        result.errors.append(
            f"the sweep inserted {result.sweep_inserted} rows, the floor {result.floor_inserted}"
        )
    elif result.sweep_checksum != result.floor_checksum:
        result.errors.append("the sweep and the floor inserted different rows (checksums differ)")
    if result.rerun_inserted != 0:
        result.errors.append(f"the re-run inserted {result.rerun_inserted} rows")
    return captured if explain else []


def time_sweep(result: Result) -> None:
    vacuum_notifications()
    with rolled_back(immediate=True):
        before, _ = _notifications()
        started = time.perf_counter()
        sweep_overdue_actions(NOW)
        swept = time.perf_counter()
        sweep_overdue_actions(NOW)
        rerun = time.perf_counter()
        inserted = _notifications()[0] - before
    result.sweep_ms.append((swept - started) * 1000)
    result.rerun_ms.append((rerun - swept) * 1000)
    if inserted != result.sweep_inserted:
        result.errors.append(f"a timed sweep inserted {inserted} rows")


def time_floor(result: Result) -> None:
    sql, params = floor_statement(NOW.date())
    vacuum_notifications()
    with rolled_back(immediate=True), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql, params)
        result.floor_ms.append((time.perf_counter() - started) * 1000)
        if cursor.rowcount != result.floor_inserted:
            result.errors.append(f"a timed floor inserted {cursor.rowcount} rows")


def explain(captured: list) -> None:
    """EXPLAIN ANALYZE of the sweep's SELECTs on tasks, and of the floor."""
    statements = [
        q["sql"]
        for q in captured
        if q["sql"].lstrip().upper().startswith("SELECT") and '"actions_action"' in q["sql"]
    ]
    sql, params = floor_statement(NOW.date())
    for label, statement, args in [
        *((f"sweep SELECT {i}", s, None) for i, s in enumerate(statements, 1)),
        ("floor", sql, params),
    ]:
        with rolled_back(immediate=True), connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, args)
            plan = "\n".join(f"    {row[0]}" for row in cursor.fetchall())
        print(f"\n-- {label}:\n{plan}")


def measure(repeat: int, *, explain_plans: bool, profile_sweep: bool) -> Result:
    with override_settings(DEBUG=False):  # no query log in the timed runs
        result = Result(describe(NOW.date()), load=os.getloadavg()[0])
        captured = check(result, explain_plans)
        if result.errors:
            return result
        for _ in range(repeat):  # interleaved, so that drift hits both alike
            time_sweep(result)
            time_floor(result)
        result.load = max(result.load, os.getloadavg()[0])
        if explain_plans:
            explain(captured)
        if profile_sweep:
            print_profile(lambda: sweep_overdue_actions(NOW), "one sweep", 25, immediate=True)
    return result


# --- report -----------------------------------------------------------------------------------


def report(result: Result, repeat: int) -> None:
    data = result.data
    today = NOW.date()
    print(f"\nReminder sweep benchmark: sweep_overdue_actions at {NOW:%a %d %b %Y %H:%M} London")
    print(f"machine   {machine()}; load average up to {result.load:.1f} during the runs")
    print(
        f"data      {data.networks} networks, {data.staff} memberships, {data.patients:,} "
        f"patients, {data.open_actions:,} open + {data.done_actions:,} done tasks, "
        f"{data.notifications:,} notifications already"
    )
    print(
        f"overdue   {data.remind:,} open tasks due on or before {working_days_cutoff(today, 1)} "
        f"(remind), {data.escalate:,} on or before {working_days_cutoff(today, 3)} (escalate); "
        f"{data.sent_before:,} reminders/escalations from earlier sweeps"
    )
    sql = sum(result.sql_ms.values())
    split = ", ".join(f"{verb} {ms:,.0f}" for verb, ms in sorted(result.sql_ms.items()))
    print(
        f"\n{'':26}{'rows':>9} {'min ms':>9} {'median ms':>9}   ({repeat} runs each, "
        "interleaved, rolled back, foreign keys checked at once)"
    )
    print(f"{'sweep':26}{result.sweep_inserted:9,} {min_median(result.sweep_ms)}")
    print(
        f"{'floor (one INSERT..SELECT)':26}{result.floor_inserted:9,} {min_median(result.floor_ms)}"
    )
    print(f"{'re-run of the sweep':26}{result.rerun_inserted:9,} {min_median(result.rerun_ms)}")
    if result.sweep_ms and result.floor_ms:
        ratio_min = min(result.sweep_ms) / min(result.floor_ms)
        ratio_median = statistics.median(result.sweep_ms) / statistics.median(result.floor_ms)
        print(f"{'ratio sweep / floor':26}{'':9} {ratio_min:8.1f}x {ratio_median:8.1f}x")
    print(
        f"\nsweep queries  {result.queries} (untimed check run: {sql:,.0f} ms inside "
        f"cursor.execute, psycopg's client-side quoting included: {split}); "
        f"sweep offered {result.sweep_offered:,} rows, inserted {result.sweep_inserted:,}"
    )
    print(f"inserted       {result.breakdown}")
    same = result.sweep_checksum == result.floor_checksum
    print(
        f"rows checksum  sweep {result.sweep_checksum}, floor {result.floor_checksum}"
        f" ({'same' if same else 'DIFFERENT'})"
    )
    for error in result.errors:
        print(f"ERROR: {error}")


# --- the scratch database ---------------------------------------------------------------------
