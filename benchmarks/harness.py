"""What the benchmark scripts share: the scratch database (a name that must say "bench", made
and dropped on the server's maintenance database), setting Django up on it, runs rolled back,
percentiles, a profile, and the line that says which machine the figures come from.

Imported before Django is set up (the scripts choose the database first), so it imports
nothing that needs the settings or the apps at import time.
"""

from __future__ import annotations

import cProfile
import os
import platform
import pstats
import re
import statistics
import sys
from collections.abc import Callable
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import django
import psycopg
from django.conf import settings
from django.db import connection, transaction

from icn.dev import server_params

# --- the scratch database ---------------------------------------------------------------------


def scratch_name(url: str, chosen: str | None) -> str:
    """The database to use: `chosen`, else the one of `url` if its name says "bench", else
    icn_bench. A name without "bench" is refused, so that no development database is ever
    dropped or measured by mistake."""
    name = chosen or (urlsplit(url).path.lstrip("/") or "")
    if not chosen and "bench" not in name:
        name = "icn_bench"
    if not re.fullmatch(r"[A-Za-z0-9_]+", name) or "bench" not in name:
        raise SystemExit(f"refusing database {name!r}: its name must contain 'bench'")
    return name


def with_database(url: str, name: str) -> str:
    """The URL with another database name."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def maintenance(url: str, sql: str, params=None) -> list:
    """One statement on the server's maintenance database, outside any transaction."""
    with psycopg.connect(**server_params(url), autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def not_set_up() -> None:
    """A script chooses its database before Django starts: refuse when it has already."""
    if settings.configured:
        raise SystemExit("Django is already set up: use --current-database, or run the script")


def start_django(database_url: str, **environ: str) -> None:
    """Django set up on `database_url`, with icn.settings.local unless DJANGO_SETTINGS_MODULE
    says otherwise (and the other environment variables given, unless already set)."""
    not_set_up()
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icn.settings.local")
    for name, value in environ.items():
        os.environ.setdefault(name, value)
    django.setup()


# --- measuring --------------------------------------------------------------------------------


@contextmanager
def rolled_back(immediate: bool = False):
    """A transaction (or a savepoint, inside one) rolled back on the way out. With `immediate`,
    foreign keys are checked at once (they are deferred to the commit otherwise, which never
    comes), so that a run pays for them."""
    with transaction.atomic():
        if immediate:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield
        transaction.set_rollback(True)


def first_row(sql: str, params=None):
    """The first row of a statement on Django's connection."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def pct(values: list, p: float) -> float:
    """The p-th quantile (0 to 1), interpolated between the two nearest values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def min_median(values: list) -> str:
    """The fastest and the median of some timings, in ms, as two columns."""
    if not values:
        return "-"
    return f"{min(values):9,.1f} {statistics.median(values):9,.1f}"


def print_profile(
    fn: Callable[[], object], title: str, top: int, *, immediate: bool = False
) -> None:
    """A profile of one call of `fn` (rolled back, as `rolled_back`), the `top` functions by
    cumulative time."""
    profiler = cProfile.Profile()
    with rolled_back(immediate):
        profiler.enable()
        fn()
        profiler.disable()
    print(f"\n-- profile of {title} (cumulative, top {top}):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(top)


# --- the machine ------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def server_version() -> str:
    return first_row("SHOW server_version")[0]


def machine() -> str:
    """CPUs, system, Python and PostgreSQL: what the figures were measured on."""
    return (
        f"{os.cpu_count()} CPUs ({cpu_model()}), {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; PostgreSQL {server_version()}"
    )


def load_average(values: tuple[float, float, float] | None = None) -> str:
    """The load average over 1, 5 and 15 minutes (now, or as taken earlier)."""
    one_minute, five, fifteen = values or os.getloadavg()
    return f"{one_minute:.2f} {five:.2f} {fifteen:.2f}"
