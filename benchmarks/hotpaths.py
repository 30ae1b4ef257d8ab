"""Benchmark: the hot paths of pages and API, each beside two floors measured in the same run.

    .venv/bin/python -m benchmarks.hotpaths            # against icn_bench (generate_synthetic)

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icn_bench \\
    DJANGO_SETTINGS_MODULE=icn.settings.local ICN_READ_DOTENV=false \\
    .venv/bin/python -m benchmarks.hotpaths --repeat 30 [--only patients] [--skip-sweep]

A script, not a timed test: it prints figures and fails (exit status 1) only when a path and its
hand-written SQL disagree (another count, other rows) or a path does not answer 200, never
because something is slow.

It runs against a database holding the output of ``manage.py generate_synthetic`` (100,000
people, 1,000,000 referrals, six networks): ``icn_bench`` on the server of DATABASE_URL, or
``--database NAME`` (a name without "bench" is refused, as in ``benchmarks.sweep``). It changes
nothing there: everything it sets up (tokens, sessions, a manager in every network, a meeting of
40 when there is none that big) is done in one transaction rolled back at the end, and every
timed run is a savepoint rolled back at once (the access-trail rows the paths write included),
so each run starts from the same state.

For each hot path, p50 and p95 over ``--repeat`` timed runs (after ``--warmup`` untimed ones)
and the query count, beside, measured in the same run and interleaved with the path's runs
(path, H, S, path, H, S, ...) so that other work on the machine hits all alike:

* H: a DRF view answering ``{}`` through the same middleware and the same authentication (the
  session for pages, the token for the API): what any request costs (benchmarks/hotpaths_urls.py);
* S: the hand-written SQL for the same answer on a raw cursor (the rows and fields the page or
  endpoint shows, its count, and the access-trail INSERT the path must write): what the database
  alone needs.

Goals (issue 20): every page (the people list and search, the triage inbox, the person page, the
meeting pages with 40 people, My day, My work): p50 <= 3 x (H + S) and <= 50 ms; the API lists:
p50 <= 1.5 x (H + S); each with a query count that does not grow with the rows (checked on a
second, smaller variant of each), the meeting pages in <= 10 queries; the dashboard: p50 <= 150
ms over six networks, <= 300 ms over 40 (``generate_synthetic --networks 40 --referrals
5000000``), beside S from ``benchmarks.dashboard_floor`` when it exists. Then the reminder sweep
(``benchmarks.sweep``, in a scratch database of its own) as a subprocess, unless
``--skip-sweep``.

``--rls`` instead times each path with PostgreSQL's row-level security off and on and prints
its cost in % (benchmarks/hotpaths_rls.py, docs/adr/0006); no sweep.

``--current-database`` (the smoke test) runs in the database Django already uses, inside the
caller's transaction.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

from django.db import connection, connections
from django.test.utils import override_settings

from benchmarks.harness import (
    load_average,
    machine,
    rolled_back,
    scratch_name,
    start_django,
    with_database,
)

BENCH_URLCONF = "benchmarks.hotpaths_urls"


def run_sweep(args) -> int:
    """benchmarks.sweep in a scratch database of its own (never the one measured here)."""
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/icn_bench")
    command = [
        sys.executable,
        "-m",
        "benchmarks.sweep",
        "--actions",
        str(args.sweep_actions),
        "--database",
        args.sweep_database,
    ]
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["DJANGO_SETTINGS_MODULE"] = "icn.settings.local"
    print(f"\n[sweep] {' '.join(command[1:])} (scratch database {args.sweep_database})")
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wanted = re.compile(
        r"^(machine|data |sweep |floor |re-run|ratio|sweep queries|rows checksum|ERROR)"
    )
    for line in done.stdout.splitlines():
        if wanted.match(line):
            print(f"[sweep] {line}")
    if done.returncode:
        print(done.stderr[-2000:])
    print(f"[sweep] exit {done.returncode} in {time.perf_counter() - started:.0f} s")
    return done.returncode


# --- main -------------------------------------------------------------------------------------


# --- main -------------------------------------------------------------------------------------

bench_name = scratch_name  # the name the smoke test knows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.hotpaths",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeat", type=int, default=30, help="timed runs of each (30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first (3)")
    parser.add_argument(
        "--only", action="append", default=[], help="paths whose name starts with or contains NAME"
    )
    parser.add_argument("--database", help="database to measure (its name must contain 'bench')")
    parser.add_argument(
        "--show-queries", action="store_true", help="print each path's queries and their times"
    )
    parser.add_argument("--profile", action="store_true", help="print a profile of each path")
    parser.add_argument("--skip-sweep", action="store_true", help="leave out the reminder sweep")
    parser.add_argument(
        "--rls",
        action="store_true",
        help="each path with row-level security off (owner) and on (DATABASE_APP_ROLE): its cost",
    )
    parser.add_argument("--sweep-actions", type=int, default=100_000)
    parser.add_argument("--sweep-database", default="icn_bench_sweep")
    parser.add_argument(
        "--current-database",
        action="store_true",
        help="measure the database Django already uses (tests)",
    )
    args = parser.parse_args(argv)
    if "bench" not in args.sweep_database or args.sweep_database == (args.database or "icn_bench"):
        raise SystemExit("--sweep-database must contain 'bench' and differ from --database")

    if not args.current_database:
        url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/icn_bench")
        start_django(with_database(url, bench_name(url, args.database)), ICN_READ_DOTENV="false")
    status = _run(args)
    if not args.skip_sweep and not args.current_database and not args.rls:
        connections.close_all()
        run_sweep(args)
    return status


def _run(args) -> int:
    # The measuring modules import the apps: only once Django is set up.
    from benchmarks.hotpaths_floors import setup
    from benchmarks.hotpaths_measure import Path, describe, measure, report
    from benchmarks.hotpaths_paths import build_paths
    from benchmarks.hotpaths_urls import EMPTY_PATH

    load_start = os.getloadavg()
    print(f"\nHot paths benchmark ({connection.settings_dict['NAME']})")
    print(f"machine   {machine()}; load average at start {load_average(load_start)}")
    print("data      " + ", ".join(f"{n:,} {label}" for label, n in describe()))
    allowed = ["testserver", "127.0.0.1", "localhost"]
    with (
        override_settings(ROOT_URLCONF=BENCH_URLCONF, ALLOWED_HOSTS=allowed, DEBUG=False),
        rolled_back(),
    ):
        s = setup()
        empty = {
            "page": Path("H", "H", "page", EMPTY_PATH, s.page(s.caseworker), [], ""),
            "api": Path("H", "H", "api", EMPTY_PATH, s.api(s.caseworker), [], ""),
        }
        paths = build_paths(s, args.only)
        print(f"network   {s.network.slug}: {s.caseworker.username}, {s.chair.username}, "
              f"{s.manager.username} (manager in every network here)")  # fmt: skip
        started = time.perf_counter()
        if args.rls:
            from benchmarks.hotpaths_rls import measure_rls, report_rls

            rls_times = measure_rls(paths, args.repeat, args.warmup)
        else:
            measure(
                paths,
                empty,
                args.repeat,
                args.warmup,
                queries=args.show_queries,
                profiled=args.profile,
            )
        elapsed = time.perf_counter() - started
    load_end = os.getloadavg()
    if args.rls:
        report_rls(paths, rls_times)
    else:
        report(paths, args.repeat, args.warmup)
    print(f"\n  measured in {elapsed:.0f} s; load average at end {load_average(load_end)}")
    errors = [p for p in paths if p.errors]
    for path in errors:
        for error in path.errors:
            print(f"ERROR: {path.name}: {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
