"""The hot paths with row-level security on and off (``python -m benchmarks.hotpaths --rls``):
each path as the tables' owner, which RLS does not apply to (off), and as the application's
role with the caller's networks in scope (on, what production runs), interleaved, in the same
connection (``SET ROLE`` between runs, outside the timing). The figure is the cost of RLS in
% of p50 per path (docs/adr/0006; goal: under 10% on every path). The request with RLS on
also pays for setting and clearing its scope (two statements)."""

from __future__ import annotations

import statistics
from contextlib import contextmanager, suppress

from django.conf import settings
from django.db import DatabaseError, connection

from benchmarks.harness import pct
from benchmarks.hotpaths_measure import Path, count_queries, get, run_floor, timed
from core import rls

GOAL_PERCENT = 10


def ensure_role() -> str:
    """The application's role on this server, granted its rights (in the run's transaction)."""
    role = settings.DATABASE_APP_ROLE
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            with suppress(DatabaseError):
                cursor.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS')
    rls.grant_to_app_role(role)
    return role


@contextmanager
def as_role(role: str):
    # SET ROLE does not bring the role's own settings: jit = off as icn/dev.py and
    # deploy/postgres-init give it (without, JIT compiles the policies' sub-plans: ~0.5 s).
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{role}"; SET jit = off')
    assert rls.detect(connection, fresh=True), f"RLS does not apply to {role}"
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE; RESET jit")
        rls.detect(connection, fresh=True)


def measure_rls(paths: list[Path], repeat: int, warmup: int) -> dict[str, tuple[list, list]]:
    """{path name: (times off, times on)}; a path whose answer differs with RLS on (status,
    its check against the floor's rows) is reported as an error."""
    role = ensure_role()
    live = []
    for path in paths:
        try:
            path.queries, _ = count_queries(path, path.url)
            with as_role(role):
                queries_on, response = count_queries(path, path.url)
            rows = run_floor(path) if (path.floor or path.floor_fn) else []
            error = path.check(response, rows) if path.check is not None else None
            if error:
                path.errors.append(f"with RLS on: {error}")
            else:
                path.note = f"{path.queries} queries off, {queries_on} on"
                live.append(path)
        except Exception as exc:
            path.errors.append(f"{type(exc).__name__}: {exc}")
    times: dict[str, tuple[list, list]] = {p.name: ([], []) for p in live}
    for run in range(warmup + repeat):
        for path in live:
            off = timed(lambda p=path: get(p))
            with as_role(role):
                on = timed(lambda p=path: get(p))
            if run >= warmup:
                times[path.name][0].append(off)
                times[path.name][1].append(on)
    return times


def report_rls(paths: list[Path], times: dict[str, tuple[list, list]]) -> None:
    print(f"\n{'path':<52}{'off p50':>9}{'on p50':>9}{'on p95':>9}{'cost':>8}  queries")
    for path in paths:
        if path.errors:
            print(f"{path.label:<52}  ERROR: {'; '.join(path.errors)}")
            continue
        off, on = times[path.name]
        p50_off, p50_on = statistics.median(off), statistics.median(on)
        cost = (p50_on - p50_off) / p50_off * 100
        state = "MET" if cost < GOAL_PERCENT else "NOT MET"
        print(
            f"{path.label:<52}{p50_off:9.1f}{p50_on:9.1f}{pct(on, 0.95):9.1f}{cost:+7.1f}%"
            f"  {path.note}  {state}"
        )
    print(
        f"\n  off: as the tables' owner (RLS does not apply); on: as {settings.DATABASE_APP_ROLE}"
        f" with the caller's networks in scope. Goal: cost under {GOAL_PERCENT}% of p50."
    )
