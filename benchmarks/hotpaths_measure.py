"""The hot-paths benchmark's measuring: each path (its URL, client and floor), checked once,
then timed beside its floors (H and S), interleaved; the verdicts and the report."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.harness import pct, print_profile, rolled_back

# Issue 20: every page p50 <= GOAL_PAGE_RATIO x (H + S) and <= GOAL_PAGE_MS; API lists
# p50 <= GOAL_API_RATIO x (H + S); each with a query count that does not grow with the rows.
GOAL_PAGE_RATIO = 3.0
GOAL_PAGE_MS = 50.0
GOAL_API_RATIO = 1.5
GOAL_MEETING_QUERIES = 10
# Issue 20: the dashboard reads stored figures (reports/tally.py): p50 <= 150 ms for six
# networks x 12 months on 1,000,000 referrals, <= 300 ms for 40 networks on 5,000,000 (an
# integrated care system), whatever S (the figures recomputed) takes.
GOAL_DASHBOARD_MS = 150.0
GOAL_DASHBOARD_ICS_MS = 300.0
ICS_NETWORKS = 40


def dashboard_goal_ms(networks: int) -> float:
    """The dashboard's goal for a manager of this many networks."""
    return GOAL_DASHBOARD_ICS_MS if networks >= ICS_NETWORKS else GOAL_DASHBOARD_MS


MEETING_SIZE = 40
# A path whose untimed check takes longer than this gets at most SLOW_RUNS timed runs (and one
# warm-up), so that the dashboard's seconds do not make the run last half an hour.
SLOW_SECONDS = 1.0
SLOW_RUNS = 5


@dataclass
class Statement:
    sql: str
    params: dict


@dataclass
class Path:
    name: str  # --only matches its start
    label: str
    channel: str  # page | api
    url: str
    client: object
    floor: list[Statement]  # S
    goal: str  # ratio | queries | dashboard
    small_url: str = ""  # a variant with fewer rows: the same query count, else NOT constant
    check: Callable | None = None  # (response, floor rows) -> error message or None
    floor_fn: Callable | None = None  # S from elsewhere (the dashboard)
    times: list = field(default_factory=list)
    h_times: list = field(default_factory=list)
    s_times: list = field(default_factory=list)
    queries: int = 0
    small_queries: int | None = None
    errors: list = field(default_factory=list)
    note: str = ""
    goal_ms: float = GOAL_DASHBOARD_MS  # the dashboard's


def run_floor(path: Path) -> list:
    if path.floor_fn is not None:
        return path.floor_fn()
    results = []
    with connection.cursor() as cursor:
        for statement in path.floor:
            cursor.execute(statement.sql, statement.params)
            results.append(cursor.fetchall() if cursor.description else [])
    return results


def get(path: Path, url: str | None = None):
    response = path.client.get(url or path.url)
    if response.status_code != 200:
        raise AssertionError(f"{url or path.url}: status {response.status_code}")
    # Render the whole body, as a server would send it.
    _ = response.content
    return response


def timed(fn) -> float:
    with rolled_back():
        started = time.perf_counter()
        fn()
        return (time.perf_counter() - started) * 1000


def count_queries(path: Path, url: str) -> tuple[int, object]:
    with rolled_back(), CaptureQueriesContext(connection) as ctx:
        response = get(path, url)
    return len(ctx.captured_queries), response


def check(path: Path) -> None:
    """Untimed: the path answers 200, agrees with its floor, and its query counts."""
    try:
        path.queries, response = count_queries(path, path.url)
        if path.small_url:
            path.small_queries, _ = count_queries(path, path.small_url)
        with rolled_back():
            rows = run_floor(path)
        if path.check is not None:
            error = path.check(response, rows)
            if error:
                path.errors.append(error)
    except Exception as exc:  # reported, and the exit status says so
        path.errors.append(f"{type(exc).__name__}: {exc}")


def show_queries(path: Path) -> None:
    """Each query of one request: its time and its start (to find what to fix)."""
    with rolled_back(), CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        get(path)
        total = (time.perf_counter() - started) * 1000
    sql = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
    print(f"\n-- {path.name}: {len(ctx.captured_queries)} queries, {sql:.1f} of {total:.1f} ms")
    for q in ctx.captured_queries:
        print(f"  {float(q['time']) * 1000:7.1f}  {q['sql'][:160]}")


def measure(
    paths: list[Path], empty: dict, repeat: int, warmup: int, queries=False, profiled=False
) -> None:
    """Path, H, S, path, H, S, ...: interleaved, so that drift and load hit all alike."""
    slow = set()
    for path in paths:
        started = time.perf_counter()
        check(path)
        if time.perf_counter() - started > SLOW_SECONDS:
            slow.add(path.name)
        if queries and not path.errors:
            show_queries(path)
        if profiled and not path.errors:
            print_profile(lambda p=path: get(p), path.name, 30)
    live = [p for p in paths if not p.errors]
    for run in range(warmup + repeat):
        for path in live:
            if path.name in slow and (run < warmup - 1 or run >= warmup + SLOW_RUNS):
                continue  # a path of seconds: one warm-up and SLOW_RUNS timed runs
            t = timed(lambda p=path: get(p))
            h = timed(lambda p=path: get(empty[p.channel], empty[p.channel].url))
            s = timed(lambda p=path: run_floor(p)) if (path.floor or path.floor_fn) else None
            if run >= warmup:
                path.times.append(t)
                path.h_times.append(h)
                if s is not None:
                    path.s_times.append(s)


# --- the data ---------------------------------------------------------------------------------


def describe() -> list[tuple[str, int]]:
    tables = [
        ("networks", "networks_network"),
        ("memberships", "networks_membership"),
        ("people", "patients_patient"),
        ("referrals", "referrals_referral"),
        ("visits", "medicines_visit"),
        ("meetings", "huddles_meeting"),
        ("agenda items", "huddles_agendaitem"),
        ("tasks", "actions_action"),
        ("access events", "audit_accessevent"),
    ]
    counts = []
    with connection.cursor() as cursor:
        for label, table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed names)
            counts.append((label, cursor.fetchone()[0]))
    return counts


def verdict(path: Path) -> tuple[str, str, bool | None]:
    """(goal, figure, met)."""
    p50 = statistics.median(path.times) if path.times else float("nan")
    h = statistics.median(path.h_times) if path.h_times else float("nan")
    s = statistics.median(path.s_times) if path.s_times else None
    constant = path.small_queries is None or path.small_queries == path.queries
    ratio = p50 / (h + s) if s else float("nan")
    page = path.channel == "page"
    goal_ratio = GOAL_PAGE_RATIO if page else GOAL_API_RATIO
    fast = ratio <= goal_ratio and (not page or p50 <= GOAL_PAGE_MS)
    goal = f"<= {goal_ratio:g}x" + (f", {GOAL_PAGE_MS:.0f} ms" if page else "")
    if path.goal == "ratio":
        met = fast and constant
        extra = "" if constant else f", queries {path.small_queries} vs {path.queries}: GROW"
        return f"{goal}, const", f"{ratio:.2f}x{extra}", met
    if path.goal == "queries":
        met = fast and path.queries <= GOAL_MEETING_QUERIES and constant
        extra = "" if constant else f", {path.small_queries} with 5"
        figure = f"{ratio:.2f}x, {path.queries} q{extra}"
        return f"{goal}, <= {GOAL_MEETING_QUERIES} q", figure, met
    against = f" ({p50 / s:.2f}x S)" if s else ""
    return f"<= {path.goal_ms:.0f} ms p50", f"{p50:.0f} ms{against}", p50 <= path.goal_ms


def report(paths: list[Path], repeat: int, warmup: int) -> None:
    print(
        f"\n{'path':<52}{'p50':>8}{'p95':>8}{'q':>4}{'H p50':>8}{'S p50':>8}{'H+S':>8}"
        f"  {'goal':<24}{'result':<26}"
    )
    print(f"{'':<52}{'ms':>8}{'ms':>8}{'':>4}{'ms':>8}{'ms':>8}{'ms':>8}")
    for path in paths:
        if path.errors:
            print(f"{path.label:<52}  ERROR: {'; '.join(path.errors)}")
            continue
        h = statistics.median(path.h_times)
        s = statistics.median(path.s_times) if path.s_times else None
        goal, figure, met = verdict(path)
        state = "MET" if met else ("n/a" if met is None else "NOT MET")
        s_text = f"{s:8.1f}" if s is not None else f"{'n/a':>8}"
        hs = f"{h + s:8.1f}" if s is not None else f"{'n/a':>8}"
        print(
            f"{path.label:<52}{statistics.median(path.times):8.1f}{pct(path.times, 0.95):8.1f}"
            f"{path.queries:4d}{h:8.1f}{s_text}{hs}  {goal:<24}{figure} {state}"
        )
    notes = [p for p in paths if p.note]
    if notes:
        print()
        for path in notes:
            print(f"  {path.name}: {path.note}")
    print(
        f"\n  {repeat} timed runs each after {warmup} warm-up (paths slower than"
        f" {SLOW_SECONDS:.0f} s: {SLOW_RUNS} after 1), interleaved (path, H, S), each a"
        " rolled-back savepoint; p50/p95"
        " of the path, p50 of H and S; q = queries of one request (constant: the same with"
        " fewer rows)."
    )
