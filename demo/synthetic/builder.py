"""Synthetic data at scale, for `manage.py generate_synthetic` and the benchmarks.

Networks, organisations, staff and, for each person, one timeline in order: referrals and
their triage, red flags, MDT episodes with the meetings that discussed them, visits, tasks,
admissions, goals, medicines and the record itself. Everything is written with COPY, a chunk
of people per transaction (memory stays bounded), with ids taken here from the tables'
sequences in blocks (nextval, so no other writer can get the same id) so that children can
point at parents without a round trip.

The synthetic rows get no history (pghistory): its triggers are told to skip them
(`pgtrigger.ignore` for the transaction). This is not only for speed: each history trigger
opens plpgsql EXCEPTION blocks, and each of those scans the transaction's queue of deferred
foreign-key checks, so that a large insert costs O(N^2) (20,000 tracked rows: 13.8 s with the
triggers, 0.5 s without). Where the database user may (a superuser), all triggers are off
while writing (session_replication_role = replica): no trigger calls and no row-by-row
foreign-key checks, which instead are checked set-based, one anti-join per constraint over
each chunk's new rows, before its commit. 100,000 people and 1,000,000 referrals (3.4 million
rows) take about 100 s on two cores that way, about 165 s with the triggers on (--no-replica).

Marked as synthetic: networks whose slug starts `synthetic-`, users `synthetic.`, organisations
`SYN-`; `delete_synthetic` removes them and every row that cannot exist without them.
Deterministic: the same options (seed, sizes, --today) give the same data (not the same ids).
Fictional throughout: NHS numbers from the 999 range, Ofcom drama telephone numbers, a
postcode area (ZT) that does not exist, made-up places and organisations.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from demo.synthetic.copying import TABLES, Stat, Table, Writer, writing
from demo.synthetic.days import Calendar, month_back
from demo.synthetic.huddles import Huddles
from demo.synthetic.medicines import Medicines
from demo.synthetic.networks import Networks
from demo.synthetic.people import People
from demo.synthetic.referrals import Referrals
from demo.synthetic.shape import PEOPLE_PER_CHUNK, SLUG_PREFIX
from reports import followed, stored, tally


@dataclass
class Options:
    people: int = 100_000
    referrals: int | None = None  # default: 10 per person
    networks: int = 6
    practices: int = 50
    staff_per_network: int = 25
    seed: int = 1
    months: int = 24
    today: date | None = None  # the data ends at the midnight that starts this day
    password: str | None = None
    replica_role: bool = True  # switch triggers off when allowed (checking keys set-based)

    def __post_init__(self):
        if self.referrals is None:
            self.referrals = 10 * self.people


class Builder(Writer, Networks, People, Referrals, Huddles, Medicines):
    """Builds the data set; `report` says what it wrote and how fast. Each domain's rows are
    made by its own part (networks, people, referrals, huddles, medicines); the database side
    is the Writer's."""

    def __init__(self, options: Options, say=None):
        self.o = options
        self.say = say or (lambda line: None)
        self.stats: dict[str, Stat] = {}
        self.started = time.perf_counter()
        self.generating = 0.0  # seconds of Python making rows
        self.checking = 0.0  # seconds of foreign-key checks
        self.t = {name: Table(model, fields) for name, (model, fields) in TABLES.items()}
        self.pools: dict = {}
        self.written: dict = {}
        self.fast = False

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def run(self) -> None:
        o = self.o
        self.today = o.today or timezone.localdate()
        start = month_back(self.today, o.months)
        self.cal = Calendar(start - timedelta(days=4 * 366), self.today + timedelta(days=400))
        self.k0 = self.cal.index(start)  # the first day of the window
        self.D = self.cal.index(self.today)  # the data ends at this day's midnight
        self.E = self.cal.midnight[self.D]
        self.fast = o.replica_role and self.replica_allowed()
        self.say(
            "checks: triggers off (session_replication_role = replica), foreign keys checked "
            "set-based per chunk"
            if self.fast
            else "checks: history triggers skipped (pgtrigger.ignore), foreign keys checked by "
            "their triggers (slower: the replica role needs a superuser)"
        )
        with self.batch():
            self.setup()
        self.say(
            f"setup: {len(self.nets)} networks, {self.o.practices} GP practices, "
            f"{self.staff} staff, {self.meetings:,} meetings ({self.elapsed():.1f} s)"
        )
        self.plan()
        self.say(f"plan: {o.people:,} people, {o.referrals:,} referrals ({self.elapsed():.1f} s)")
        for number, first in enumerate(range(0, o.people, PEOPLE_PER_CHUNK)):
            last = min(first + PEOPLE_PER_CHUNK, o.people)
            with self.batch():
                self.chunk(number, first, last)
            self.say(
                f"  people {last:,}/{o.people:,}, referrals "
                f"{self.stats['referrals_referral'].rows:,} ({self.elapsed():.1f} s)"
            )
        with self.batch():
            self.populations()
        with transaction.atomic(), writing(replica=False):
            self.finish()
        self.analyse()

    # --- the end -------------------------------------------------------------------------------

    def finish(self) -> None:
        """The admissions files' counts, now that their rows exist."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE reports_admissionimport i
                SET imported = c.n, rows_total = c.n
                FROM (SELECT admission_import_id AS id, count(*) AS n
                      FROM reports_admissionevent
                      WHERE network_id = ANY(%s) AND admission_import_id IS NOT NULL
                      GROUP BY admission_import_id) c
                WHERE i.id = c.id
                """,
                [[net.id for net in self.nets]],
            )
        # The dashboard's stored counts (the COPY went round their triggers).
        tally.rebuild([net.id for net in self.nets])
        stored.rebuild([net.id for net in self.nets])
        followed.rebuild([net.id for net in self.nets])

    def analyse(self) -> None:
        """Fresh planner statistics (and, outside a transaction, the visibility map)."""
        started = time.perf_counter()
        tables = ", ".join(f'"{name}"' for name in self.stats)
        with connection.cursor() as cursor:
            if connection.in_atomic_block:
                cursor.execute(f"ANALYZE {tables}")
            else:
                cursor.execute(f"VACUUM (ANALYZE) {tables}")
        self.analysing = time.perf_counter() - started

    def report(self) -> list[str]:
        lines = [f"{'table':34}{'rows':>12}{'COPY s':>9}{'rows/s':>11}"]
        total_rows = 0
        for name, stat in sorted(self.stats.items(), key=lambda kv: -kv[1].rows):
            if not stat.rows:
                continue
            total_rows += stat.rows
            rate = stat.rows / stat.seconds if stat.seconds else 0
            lines.append(f"{name:34}{stat.rows:12,}{stat.seconds:9.1f}{rate:11,.0f}")
        copying = sum(s.seconds for s in self.stats.values())
        elapsed = self.elapsed()
        rate = total_rows / copying if copying else 0
        lines.append(f"{'all':34}{total_rows:12,}{copying:9.1f}{rate:11,.0f}")
        lines.append(
            f"time: {elapsed:.1f} s in all ({total_rows / elapsed:,.0f} rows/s): making rows "
            f"{self.generating:.1f} s, COPY {copying:.1f} s, foreign-key checks "
            f"{self.checking:.1f} s, VACUUM ANALYZE {self.analysing:.1f} s"
        )
        return lines


# --- what was made ------------------------------------------------------------------------------


def describe(today: date | None = None) -> list[str]:
    """A few figures about the synthetic data in the database (how realistic it came out)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM networks_network WHERE slug LIKE %s", [SLUG_PREFIX + "%"])
        nets = [row[0] for row in cursor.fetchall()]
        if not nets:
            return ["no synthetic data"]
        cursor.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE status = 'new'),
                   count(*) FILTER (WHERE status = 'accepted'),
                   count(*) FILTER (WHERE status = 'completed'),
                   count(*) FILTER (WHERE status = 'declined'),
                   count(*) FILTER (WHERE status = 'withdrawn'),
                   count(*) FILTER (WHERE origin = 'red_flag'),
                   count(*) FILTER (WHERE urgency = 'urgent'),
                   count(*) FILTER (WHERE service = 'mdt')
            FROM referrals_referral WHERE network_id = ANY(%s)
            """,
            [nets],
        )
        total, new, accepted, completed, declined, withdrawn, flagged, urgent, mdt = (
            cursor.fetchone()
        )
        total = total or 1
        cursor.execute(
            """
            SELECT count(*) FILTER (WHERE status = 'open'),
                   count(*) FILTER (WHERE status = 'open' AND due_on < %s),
                   count(*) FILTER (WHERE assignee_id IS NULL)
            FROM actions_action WHERE network_id = ANY(%s)
            """,
            [today or timezone.localdate(), nets],
        )
        open_actions, overdue, queued = cursor.fetchone()
        cursor.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE closed_at IS NULL),
                   count(*) FILTER (WHERE admission_avoided = 'yes')
            FROM huddles_episode WHERE network_id = ANY(%s)
            """,
            [nets],
        )
        episodes, on_caseload, avoided = cursor.fetchone()
        cursor.execute(
            """
            SELECT m.status, count(*), avg(n), max(n) FROM (
                SELECT m.id, m.status, count(i.id) AS n FROM huddles_meeting m
                JOIN huddles_agendaitem i ON i.meeting_id = m.id
                WHERE m.network_id = ANY(%s) GROUP BY m.id) m
            GROUP BY m.status ORDER BY m.status
            """,
            [nets],
        )
        agendas = ", ".join(
            f"{status} {n:,} (mean {mean:.0f}, max {top} people)"
            for status, n, mean, top in cursor.fetchall()
        )

        # The comparison groups (reports/evaluation.py): MDT referrals not taken on, and how
        # many of those people never had an episode; emergency admissions in the 180 days
        # before and after the decision, per person, for them and for the caseload.
        cursor.execute(
            """
            WITH firsts AS (
                SELECT DISTINCT ON (r.patient_id) r.patient_id, r.status IN ('declined',
                       'withdrawn') AS not_taken_on, (COALESCE(r.triaged_at, r.closed_at,
                       r.created_at) AT TIME ZONE 'Europe/London')::date AS index_on
                FROM referrals_referral r
                WHERE r.network_id = ANY(%s) AND r.service = 'mdt'
                  AND r.status IN ('accepted', 'completed', 'declined', 'withdrawn')
                  AND NOT (r.status = 'declined' AND r.decline_reason = 'already_known')
                ORDER BY r.patient_id, r.created_at)
            SELECT f.not_taken_on, count(*),
                   count(*) FILTER (WHERE NOT EXISTS (
                       SELECT 1 FROM huddles_episode e WHERE e.patient_id = f.patient_id)),
                   avg((SELECT count(*) FROM reports_admissionevent a
                        WHERE a.patient_id = f.patient_id AND a.kind = 'emergency'
                          AND a.admitted_on >= f.index_on - 180 AND a.admitted_on < f.index_on)),
                   avg((SELECT count(*) FROM reports_admissionevent a
                        WHERE a.patient_id = f.patient_id AND a.kind = 'emergency'
                          AND a.admitted_on > f.index_on AND a.admitted_on <= f.index_on + 180))
            FROM firsts f GROUP BY f.not_taken_on ORDER BY f.not_taken_on
            """,
            [nets],
        )
        groups = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(
            """
            SELECT n.slug, p.registered, (SELECT count(*) FROM patients_patient x
                                          WHERE x.network_id = n.id)
            FROM networks_network n
            LEFT JOIN LATERAL (
                SELECT sum(pp.registered) AS registered FROM reports_practicepopulation pp
                JOIN networks_network_gp_practices g ON g.organisation_id = pp.practice_id
                WHERE g.network_id = n.id
                GROUP BY pp.month ORDER BY pp.month DESC LIMIT 1) p ON true
            WHERE n.id = ANY(%s) ORDER BY n.slug
            """,
            [nets],
        )
        populations = [
            f"{slug.removeprefix(SLUG_PREFIX)} {registered or 0:,} "
            f"({(registered or 0) / max(people, 1):.0f} per person in ICN)"
            for slug, registered, people in cursor.fetchall()
        ]

    def pc(n):
        return f"{100 * n / total:.1f}%"

    def group(key, label):
        people, never, before, after = groups.get(key, (0, 0, 0, 0))
        return (
            f"{label} {people:,} ({never:,} never on the caseload), emergency admissions per "
            f"person {before or 0:.2f} in the 180 days before, {after or 0:.2f} after"
        )

    return [
        f"referrals: new {pc(new)}, accepted {pc(accepted)}, completed {pc(completed)} "
        f"(accepted in all {pc(accepted + completed)}), declined {pc(declined)}, withdrawn "
        f"{pc(withdrawn)}; red flag {pc(flagged)}, urgent {pc(urgent)}, MDT {pc(mdt)}",
        f"MDT episodes: {episodes:,}, {on_caseload:,} still on the caseload, {avoided:,} "
        "discharged with an admission avoided",
        f"meetings with agendas: {agendas}",
        "MDT referrals (first each): "
        + group(True, "not taken on")
        + "; "
        + group(False, "taken on"),
        "registered population (latest month): " + ", ".join(populations),
        f"tasks: {open_actions:,} open ({overdue:,} overdue), {queued:,} in role queues",
    ]
