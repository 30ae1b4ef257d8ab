"""Recompute the dashboard's stored counts from what they count: referrals (reports.tally),
first contacts (reports.contact), red flags, goals, visits, actions and discharges
(reports.stored, reports.followed):
`manage.py rebuild_report_figures [--network SLUG ...]`. Idempotent; referral writes wait
while it runs (about a minute for a million referrals on a loaded machine, most of it
first contacts). Needed after writing referrals, visits or tasks round the triggers
(generate_synthetic does it itself) or filling the working-day calendar again."""

import time
from typing import Any

from django.core.management.base import CommandError

from core.rls import SystemScopeCommand
from networks.models import Network
from reports import followed, stored, tally


class Command(SystemScopeCommand):
    help = "Recompute the dashboard's stored counts (referrals, first contacts, the rest)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--network",
            action="append",
            default=[],
            help="A network's slug (repeat for several); every network if none.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slugs = options["network"]
        ids = None
        if slugs:
            found = dict(Network.objects.filter(slug__in=slugs).values_list("slug", "id"))
            missing = [slug for slug in slugs if slug not in found]
            if missing:
                raise CommandError(f"No network {', '.join(map(repr, missing))}.")
            ids = list(found.values())
        started = time.perf_counter()
        rows = tally.rebuild(ids) + stored.rebuild(ids) + followed.rebuild(ids)
        which = ", ".join(slugs) if slugs else "every network"
        self.stdout.write(
            f"Rebuilt the dashboard's stored counts of {which}: {rows:,} rows "
            f"({time.perf_counter() - started:.1f} s)."
        )
