"""Benchmark: the population reports of issue #19 at scale (networks side by side, their trend,
case finding and, once it exists, the evaluation), against their goal of 500 ms.

    .venv/bin/python -m benchmarks.population            # against icn_bench (generate_synthetic)

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icn_bench \\
    DJANGO_SETTINGS_MODULE=icn.settings.local ICN_READ_DOTENV=false \\
    .venv/bin/python -m benchmarks.population --repeat 20 [--database icn_synth_bench]

A script, not a timed test: it prints p50 and p95 in ms, the query count and the goal beside
each, and fails (exit status 1) only when a path does not answer 200, never because something
is slow.

It runs against a database holding the output of ``manage.py generate_synthetic`` (100,000
people, six networks, list sizes for every practice and month, and the commissioner of every
synthetic network, synthetic.commissioner.1.borough): ``icn_bench`` on the server of
DATABASE_URL, or ``--database NAME`` (a name without "bench" is refused). It changes nothing
there: the tokens it makes are in one transaction rolled back at the end, and every timed run
is a savepoint rolled back at once (case finding's access-trail rows included).

The period is the last 12 whole months before the synthetic data ends (``--months``). Paths:
the networks comparison and its trend for the commissioner (every synthetic network), case
finding for the chair of the busiest network, and the evaluation of that network
(reports/evaluation.py: its endpoint if it answers, else the function) when it exists; if it
does not, a line says so.

``--current-database`` (the smoke test) runs in the database Django already uses, inside the
caller's transaction.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from benchmarks.harness import (
    first_row,
    load_average,
    machine,
    pct,
    rolled_back,
    scratch_name,
    start_django,
    with_database,
)

GOAL_MS = 500.0
COMMISSIONER = "synthetic.commissioner.1.borough"


@dataclass
class Path:
    label: str
    run: Callable[[], object]  # returns a response (its status is checked) or a value
    times: list[float] = field(default_factory=list)
    queries: int = 0
    errors: list[str] = field(default_factory=list)


def _status(result) -> int:
    return getattr(result, "status_code", 200)


def measure(path: Path, repeat: int, warmup: int) -> None:
    """`warmup` untimed runs, then `repeat` timed ones, each in a savepoint rolled back; the
    queries of the last run counted."""
    for n in range(warmup + repeat):
        with rolled_back():
            if n == warmup + repeat - 1:
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    result = path.run()
                    elapsed = time.perf_counter() - started
                path.queries = len(queries.captured_queries)
            else:
                started = time.perf_counter()
                result = path.run()
                elapsed = time.perf_counter() - started
        if _status(result) != 200:
            path.errors.append(f"answered {_status(result)}")
            return
        if n >= warmup:
            path.times.append(1000 * elapsed)


def _month_before(day: date) -> date:
    return date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)


def _months_back(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def build_paths(months: int) -> tuple[list[Path], list[str]]:
    """The paths to time and the lines saying what is left out (and why)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.services import token_issue
    from networks.models import Membership

    notes = []
    commissioner = get_user_model().objects.filter(username=COMMISSIONER).first()
    if commissioner is None:
        raise SystemExit(
            f"no {COMMISSIONER} here: run manage.py generate_synthetic (it makes the "
            "commissioner of every synthetic network)"
        )
    row = first_row(
        "SELECT p.network_id, max(r.created_at) FROM patients_patient p "
        "JOIN referrals_referral r ON r.patient_id = p.id "
        "GROUP BY p.network_id ORDER BY count(DISTINCT p.id) DESC, p.network_id LIMIT 1"
    )
    if row is None:
        raise SystemExit("no people in this database: run manage.py generate_synthetic first")
    network_id, last_referral = row
    last = _month_before(last_referral.date().replace(day=1) if last_referral else date.today())
    first = _months_back(last, months - 1)
    chair = (
        Membership.objects.filter(network_id=network_id, role="chair", is_active=True)
        .select_related("user", "network")
        .order_by("user__username")
        .first()
    )
    if chair is None:
        raise SystemExit("the busiest network has no chair")
    period = f"from={first:%Y-%m}&to={last:%Y-%m}"
    commissioning = Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=commissioner)[1]}")
    chairing = Client(HTTP_AUTHORIZATION=f"Token {token_issue(user=chair.user)[1]}")
    networks = Membership.objects.filter(user=commissioner, is_active=True).count()
    span = f"{networks} networks, {months} months"
    paths = [
        Path(
            f"API  /api/v1/reports/networks/ ({span})",
            lambda: commissioning.get(f"/api/v1/reports/networks/?{period}"),
        ),
        Path(
            f"API  /api/v1/reports/networks/trend/ ({span})",
            lambda: commissioning.get(f"/api/v1/reports/networks/trend/?{period}"),
        ),
        Path(
            f"API  /api/v1/case-finding/ (chair, {chair.network.slug})",
            lambda: chairing.get(f"/api/v1/case-finding/?network={chair.network.slug}"),
        ),
    ]
    if importlib.util.find_spec("reports.evaluation") is None:
        notes.append(
            "evaluation: skipped, reports/evaluation.py is not here yet (run this again "
            "once it is merged)"
        )
        return paths, notes
    from django.urls import Resolver404, resolve
    from django.utils import timezone

    from reports.evaluation import evaluation

    try:
        resolve("/api/v1/reports/evaluation/")
    except Resolver404:
        notes.append("evaluation: no endpoint yet, the function timed instead")
        today = timezone.localdate()
        paths.append(
            Path(
                f"fn   evaluation({chair.network.slug}, {months} months)",
                lambda: evaluation(network_id, first, last, today),
            )
        )
        return paths, notes
    url = f"/api/v1/reports/evaluation/?network={chair.network.slug}&{period}"
    label = f"API  /api/v1/reports/evaluation/ ({chair.network.slug}, {months} months)"
    paths.append(Path(label, lambda: commissioning.get(url)))
    return paths, notes


def report(paths: list[Path], repeat: int, warmup: int) -> None:
    print(f"\n{'path':70}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}   goal")
    for path in paths:
        if path.errors:
            print(f"{path.label:70}{'-':>9}{'-':>9}{'-':>9}   ERROR {path.errors[0]}")
            continue
        p50, p95 = pct(path.times, 0.5), pct(path.times, 0.95)
        verdict = "MET" if p50 <= GOAL_MS else "NOT MET"
        print(
            f"{path.label:70}{p50:9.1f}{p95:9.1f}{path.queries:9d}   "
            f"p50 <= {GOAL_MS:.0f} ms {verdict}"
        )
    print(f"\n  {repeat} timed runs each after {warmup} untimed")


def describe() -> str:
    people, networks, lists = first_row(
        "SELECT (SELECT count(*) FROM patients_patient), "
        "(SELECT count(*) FROM networks_network WHERE slug LIKE 'synthetic-%%'), "
        "(SELECT count(*) FROM reports_practicepopulation)"
    )
    referrals = first_row("SELECT count(*) FROM referrals_referral")[0]
    return (
        f"{people:,} people, {referrals:,} referrals, {networks} synthetic networks, "
        f"{lists:,} practice list sizes"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.population",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each (20)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first (2)")
    parser.add_argument("--months", type=int, default=12, help="months compared (12)")
    parser.add_argument("--database", help="database to measure (its name must contain 'bench')")
    parser.add_argument(
        "--current-database",
        action="store_true",
        help="measure the database Django already uses (tests)",
    )
    args = parser.parse_args(argv)
    if not args.current_database:
        url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/icn_bench")
        start_django(with_database(url, scratch_name(url, args.database)), ICN_READ_DOTENV="false")
    load_start = os.getloadavg()
    print(f"\nPopulation reports benchmark ({connection.settings_dict['NAME']})")
    print(f"machine   {machine()}; load average at start {load_average(load_start)}")
    print(f"data      {describe()}")
    allowed = ["testserver", "127.0.0.1", "localhost"]
    started = time.perf_counter()
    with override_settings(ALLOWED_HOSTS=allowed, DEBUG=False), rolled_back():
        paths, notes = build_paths(args.months)
        for path in paths:
            measure(path, args.repeat, args.warmup)
    elapsed = time.perf_counter() - started
    report(paths, args.repeat, args.warmup)
    for note in notes:
        print(f"  {note}")
    print(f"  measured in {elapsed:.0f} s; load average at end {load_average()}")
    errors = [p for p in paths if p.errors]
    for path in errors:
        print(f"ERROR: {path.label}: {path.errors[0]}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
