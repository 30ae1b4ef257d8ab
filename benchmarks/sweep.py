"""Benchmark: the overdue-task reminder sweep over N open tasks, beside the set-based floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icn_bench \\
    DJANGO_SETTINGS_MODULE=icn.settings.local \\
    .venv/bin/python -m benchmarks.sweep --actions 100000

A script, not a timed test: it prints figures and fails (exit status 1) only when the sweep and
the floor disagree or a re-run inserts something, never because something is slow.

What it measures, in one run and on one data set, at a fixed working day, 10:00 Europe/London:

* the sweep: ``sweep_overdue_actions(now)``, as the beat runs it;
* the floor: one hand-written ``INSERT ... SELECT ... ON CONFLICT ("key") DO NOTHING`` that
  inserts the same notifications (same keys, recipients, titles, bodies, links, e-mail states and
  deputies' copies): what the database alone needs to do the same job;
* the re-run: the sweep again straight after the first, in the same transaction; it must insert
  nothing;
* the sweep's queries: how many, and the time spent in SQL as against Python.

Every timed run is a transaction rolled back afterwards, so each starts from the same state (dead
rows are vacuumed between runs); foreign keys are checked at once rather than at the commit that
never comes, so that both pay for them. Sweep and floor runs are interleaved, so that other work
on the machine hits both alike (the report shows the load average). Before any timing, one
untimed run of each checks that the sweep and the floor insert the same rows (their count and a
checksum of their content).

The data set (``build``): a few networks of 20 staff each (two chairs, pharmacists, a member who
has left, a disabled account, two members away today with a deputy, some without e-mail, some
wanting e-mail at once), ~20,000 patients with synthetic NHS numbers (999 range), N open tasks
(40% named, the rest in role queues; 30% overdue by one working day or more, 10% by three or
more) and N/10 done ones; the notifications the tasks' assignments produced; and, for
``--already-sent`` of the overdue tasks, the reminders earlier sweeps sent (so that the sweep both
skips and inserts). The synthetic rows get no history (see ``_history_off``).

Where: a scratch database of its own on the server of DATABASE_URL, named there if that name
contains "bench", else ``icn_bench`` (``--database`` to choose). A name without "bench" is
refused, so that no development database is ever dropped. The script creates it (dropping a
leftover one), migrates it, builds the data with bulk inserts (COPY) and drops it at the end
unless ``--keep``; ``--reuse`` runs again on a kept one without rebuilding it.
``--current-database`` (the smoke test) builds the data in the database Django already uses,
inside the caller's transaction, and creates or drops nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from django.core.management import call_command
from django.db import connections

from benchmarks.harness import maintenance, not_set_up, scratch_name, start_django, with_database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sweep",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--actions", type=int, default=100_000, help="open tasks (100,000)")
    parser.add_argument("--networks", type=int, default=4, help="networks, 20 staff each (4)")
    parser.add_argument("--patients", type=int, help="patients (N/5, at most 20,000)")
    parser.add_argument(
        "--already-sent",
        type=float,
        default=0.5,
        help="share of overdue tasks reminded by earlier sweeps (0.5)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (5)")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--database", help="scratch database (its name must contain 'bench')")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="run on a kept scratch database without rebuilding (and keep it)",
    )
    parser.add_argument(
        "--current-database",
        action="store_true",
        help="build in the database Django already uses (tests); drop nothing",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN ANALYZE of the sweep's SELECTs and of the floor",
    )
    parser.add_argument("--profile", action="store_true", help="print a profile of one sweep")
    args = parser.parse_args(argv)
    patients = args.patients or max(50, min(20_000, args.actions // 5))

    if args.current_database:
        return _run(args, patients, build_data=True)

    not_set_up()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/icn")
    name = scratch_name(url, args.database)
    exists = maintenance(url, "SELECT 1 FROM pg_database WHERE datname = %s", [name])
    reuse = args.reuse and bool(exists)
    if args.reuse and not exists:
        print(f"[bench] no database {name} to reuse: building it")
    if not reuse:
        maintenance(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        maintenance(url, f'CREATE DATABASE "{name}"')
    start_django(with_database(url, name))
    try:
        if not reuse:
            started = time.perf_counter()
            call_command("migrate", verbosity=0, interactive=False)
            print(f"[bench] database {name}: migrated in {time.perf_counter() - started:.1f} s")
        return _run(args, patients, build_data=not reuse)
    finally:
        connections.close_all()
        if args.keep or args.reuse:
            print(f"[bench] kept database {name} (--reuse to run on it again)")
        else:
            maintenance(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"[bench] dropped database {name}")


def _run(args, patients: int, *, build_data: bool) -> int:
    # The data set and the measuring import the apps: only once Django is set up.
    from benchmarks.sweep_data import NOW, build, describe
    from benchmarks.sweep_measure import measure, report
    from core.workdays import is_working_day

    assert is_working_day(NOW.date())
    if build_data:
        started = time.perf_counter()
        steps = build(
            actions=args.actions,
            networks=args.networks,
            patients=patients,
            already_sent=args.already_sent,
            seed=args.seed,
        )
        print(f"[bench] data set built in {time.perf_counter() - started:.1f} s ({steps})")
    else:
        found = describe(NOW.date()).open_actions
        if found != args.actions:
            print(
                f"ERROR: the kept data set has {found:,} open tasks, not {args.actions:,}: "
                "run without --reuse to rebuild it"
            )
            return 2
    result = measure(args.repeat, explain_plans=args.explain, profile_sweep=args.profile)
    report(result, args.repeat)
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
