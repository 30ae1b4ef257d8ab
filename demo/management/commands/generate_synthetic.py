"""`python manage.py generate_synthetic`: a realistic data set at scale, for trying ICN out
and for the benchmarks. See demo/synthetic/builder.py for what it makes and how."""

import sys
from datetime import date

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, transaction

from core.rls import SystemScopeCommand
from demo.synthetic.builder import Builder, Options, describe
from demo.synthetic.deleting import delete_synthetic, synthetic_networks_exist
from demo.synthetic.shape import ROLES_ONCE


class Command(SystemScopeCommand):  # spans networks (core/rls.py)
    help = (
        "Create synthetic data at scale with bulk inserts (COPY): networks (slug 'synthetic-*'), "
        "GP practices, care homes, staff in every role (users 'synthetic.<role>.<n>.<network>', "
        "unusable passwords unless --password), people aged 65-100 with NHS numbers from the "
        "synthetic 999 range, referrals to every service with their triage, red flags, MDT "
        "episodes, meetings on each network's cadence with agendas and attendance, visits with "
        "observations, medicines, tasks, goals and hospital admissions. Deterministic: the same "
        "seed, sizes and --today give the same data. Writes many rows, so it refuses to run "
        "unless DEBUG is on (or --force): never on a live system. The synthetic rows get no "
        "history: pghistory's triggers are skipped (pgtrigger.ignore) while it writes, which "
        "also keeps large inserts from going quadratic; where the database user may, all "
        "triggers are off (session_replication_role = replica) and foreign keys are checked "
        "set-based instead of row by row (see --no-replica)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=100_000, help="people (100,000)")
        parser.add_argument(
            "--referrals", type=int, help="referrals (default: 10 per person, 1,000,000)"
        )
        parser.add_argument("--networks", type=int, default=6, help="networks (6, a borough)")
        parser.add_argument("--practices", type=int, default=50, help="GP practices (50)")
        parser.add_argument(
            "--staff-per-network",
            type=int,
            default=25,
            help="staff per network, every role at least once (25; at least 12)",
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
        parser.add_argument("--months", type=int, default=24, help="months of history (24)")
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            help="the day the history ends before (YYYY-MM-DD; default: today)",
        )
        parser.add_argument(
            "--password",
            help="a password for every synthetic user, to log in and try it (default: none "
            "can log in)",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete the previous synthetic data first (only synthetic rows)",
        )
        parser.add_argument(
            "--no-replica",
            action="store_true",
            help="keep the foreign-key triggers on (checks row by row; slower). By default, "
            "when the database user may, triggers are switched off while writing "
            "(session_replication_role = replica) and foreign keys are checked set-based.",
        )
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument(
            "--force", action="store_true", help="run even though DEBUG is off (not live!)"
        )

    def handle(self, *args, **options):
        o = Options(
            people=options["people"],
            referrals=options["referrals"],
            networks=options["networks"],
            practices=options["practices"],
            staff_per_network=options["staff_per_network"],
            seed=options["seed"],
            months=options["months"],
            today=options["today"],
            password=options["password"],
            replica_role=not options["no_replica"],
        )
        if o.people < 1 or o.referrals < 0 or o.networks < 1 or o.practices < 0:
            raise CommandError("Give at least one person and one network.")
        if o.months < 1:
            raise CommandError("--months must be at least 1.")
        if o.staff_per_network < len(ROLES_ONCE):
            raise CommandError(
                f"--staff-per-network must be at least {len(ROLES_ONCE)} (one of each role)."
            )
        if o.people > 900_000:
            raise CommandError("The synthetic 999 range has about 909,000 valid NHS numbers.")
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this looks like a live system. generate_synthetic writes "
                "millions of rows; use --force only on a scratch database."
            )
        exists = synthetic_networks_exist()
        if exists and not options["replace"]:
            raise CommandError(
                "Synthetic data already exists (networks 'synthetic-*'). Use --replace to "
                "delete it and generate again."
            )
        if not options["yes"]:
            self.confirm(o, exists)

        say = self.stdout.write
        if exists:
            with transaction.atomic():
                delete_synthetic(say, replica_role=o.replica_role)
        say(
            f"Generating {o.people:,} people, {o.referrals:,} referrals, {o.networks} networks, "
            f"{o.practices} GP practices, {o.staff_per_network} staff each, {o.months} months "
            f"(seed {o.seed})"
        )
        builder = Builder(o, say)
        builder.run()
        for line in builder.report():
            say(line)
        for line in describe(builder.today):
            say(line)
        self.stdout.write(
            self.style.SUCCESS(
                "Synthetic data ready. Users: synthetic.<role>.<n>.<network>, e.g. "
                f"synthetic.pharmacist.1.{builder.nets[0].short}"
                + (" (with the --password given)." if o.password else " (no password set).")
            )
        )

    def confirm(self, o, replacing: bool) -> None:
        database = connection.settings_dict.get("NAME")
        question = (
            f"Write about {o.referrals * 3 + o.people * 4:,} synthetic rows into database "
            f"{database!r}"
            + (", deleting the previous synthetic data first" if replacing else "")
            + "? Type 'yes' to continue: "
        )
        if not sys.stdin.isatty():
            raise CommandError("Not confirmed: run with --yes when there is no terminal.")
        if input(question).strip().lower() != "yes":
            raise CommandError("Cancelled.")
