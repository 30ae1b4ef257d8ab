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
import cProfile
import os
import platform
import pstats
import random
import re
import statistics
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
# A Wednesday, not a bank holiday: the sweep's `now`.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=LONDON)

# Each network's staff, in this order (the indices below refer to it).
ROSTER = (
    "chair",  # 0: away today, covered by the integrated manager (17)
    "chair",  # 1: creates the tasks
    "pharmacist",  # 2
    "pharmacist",  # 3: away today, covered by a pharmacy technician (5)
    "pharmacist",  # 4
    "pharmacy_technician",  # 5
    "pharmacy_technician",  # 6
    "gp",  # 7
    "gp",  # 8: no first or last name (shown by username)
    "community_nurse",  # 9
    "community_nurse",  # 10
    "community_nurse",  # 11: account disabled, membership still active
    "social_worker",  # 12
    "social_worker",  # 13
    "pic",  # 14
    "occupational_therapist",  # 15
    "physiotherapist",  # 16
    "integrated_manager",  # 17
    "manager",  # 18
    "pharmacist",  # 19: has left the network (membership deactivated)
)
CREATOR = 1
AWAY = {0: 17, 3: 5}  # member index -> deputy index
NAMELESS = {8}
DISABLED = {11}
LEFT = {19}
NO_EMAIL = {13, 16}
IMMEDIATE = {0, 2, 9, 12}
CHOSE_DIGEST = {4, 10}
CASEWORK = (2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17)
GONE = tuple(sorted(DISABLED | LEFT))  # named tasks for them go to the chairs
QUEUES = (
    ("pharmacist", 25),
    ("community_nurse", 20),
    ("pharmacy_technician", 15),
    ("social_worker", 15),
    ("gp", 10),
    ("occupational_therapist", 5),
    ("physiotherapist", 5),
    ("pic", 3),
    ("chair", 2),
)
GIVEN = ("Edith", "Walter", "Amara", "Joyce", "Harold", "Priya", "Stanley", "Mabel", "Kofi", "Ivy")
FAMILY = ("Okafor", "Pike", "Hughes", "Patel", "Nowak", "Clarke", "Mensah", "Reid", "Singh", "Lowe")
TITLES = (
    "Ring the daughter about the care package",
    "Book bloods (U&E, FBC)",
    "Structured medication review",
    "Check the dosette box with the pharmacy",
    "Falls assessment at home",
    "Refer to the memory clinic",
    "Arrange a carer's assessment",
    "Chase the discharge summary",
    "Review pressure areas",
    ("Long: " + "follow up the occupational therapy equipment order " * 4)[:195],
)


# --- the floor: one set-based statement -------------------------------------------------------

FLOOR_SQL = """
WITH members AS (
    SELECT m.network_id, m.role, m.user_id
    FROM networks_membership m
    JOIN auth_user u ON u.id = m.user_id
    WHERE m.is_active AND u.is_active
),
overdue AS (
    SELECT 'action_overdue'::text AS kind, a.id, a.network_id, a.patient_id, a.title, a.due_on,
           a.assignee_id, a.assignee_role
    FROM actions_action a
    WHERE a.status = 'open' AND a.due_on <= %(remind_cutoff)s {subset}
      AND NOT EXISTS (
          SELECT 1 FROM notifications_notification n
          WHERE n.subject_type = 'action' AND n.subject_id = a.id
            AND n.kind = 'action_overdue' AND n.occurrence = a.due_on::text)
    UNION ALL
    SELECT 'action_escalated'::text, a.id, a.network_id, a.patient_id, a.title, a.due_on,
           a.assignee_id, a.assignee_role
    FROM actions_action a
    WHERE a.status = 'open' AND a.due_on <= %(escalate_cutoff)s {subset}
      AND NOT EXISTS (
          SELECT 1 FROM notifications_notification n
          WHERE n.subject_type = 'action' AND n.subject_id = a.id
            AND n.kind = 'action_escalated' AND n.occurrence = a.due_on::text)
),
-- One message per task and kind: who gets it (a user, or everyone in a role) and what it says.
due AS (
    SELECT d.kind, d.id, d.network_id, d.patient_id, d.due_on::text AS occurrence,
           CASE WHEN d.kind = 'action_overdue' AND d.assignee_id IS NOT NULL
                     AND am.user_id IS NOT NULL THEN d.assignee_id END AS to_user,
           CASE WHEN d.kind = 'action_overdue' AND d.assignee_id IS NULL THEN d.assignee_role
                WHEN d.kind = 'action_overdue' AND am.user_id IS NOT NULL THEN NULL
                ELSE 'chair' END AS to_role,
           CASE d.kind WHEN 'action_overdue' THEN 'Overdue: ' ELSE 'Still overdue: ' END
               || d.title AS title,
           'For ' || p.given_name || ' ' || p.family_name || CASE d.kind
               WHEN 'action_overdue' THEN '. It was due ' || to_char(d.due_on, 'Dy DD Mon') || '.'
               ELSE ', with ' || CASE
                       WHEN d.assignee_id IS NOT NULL THEN coalesce(
                           nullif(btrim(au.first_name || ' ' || au.last_name), ''), au.username)
                       ELSE 'the ' || lower(CASE WHEN d.assignee_role = 'chair' THEN nw.chair
                                                 ELSE rl.label END) || ' queue'
                   END
                   || '; due ' || to_char(d.due_on, 'Dy DD Mon')
                   || '. Sent to you as ' || nw.chair || '.'
           END AS body,
           CASE d.kind WHEN 'action_overdue' THEN %(tasks_url)s
               ELSE %(patient_url_before)s || d.patient_id || %(patient_url_after)s END AS url
    FROM overdue d
    JOIN patients_patient p ON p.id = d.patient_id
    JOIN (SELECT id, coalesce(nullif(term_chair, ''), CASE vocabulary {chair_presets} END) AS chair
          FROM networks_network) nw ON nw.id = d.network_id
    LEFT JOIN auth_user au ON au.id = d.assignee_id
    LEFT JOIN members am ON am.network_id = d.network_id AND am.user_id = d.assignee_id
    LEFT JOIN unnest(%(roles)s::text[], %(role_labels)s::text[]) AS rl(role, label)
      ON rl.role = d.assignee_role
),
-- A named task's assignee while a member of its network; else the role queue's holders, the
-- chairs for escalations and for named tasks whose assignee is no longer a member.
messages AS (
    SELECT d.*, d.to_user AS recipient_id FROM due d WHERE d.to_user IS NOT NULL
    UNION ALL
    SELECT d.*, h.user_id FROM due d
    JOIN members h ON h.network_id = d.network_id AND h.role = d.to_role
),
covers AS (
    SELECT DISTINCT ON (network_id, member_id) network_id, member_id, deputy_id
    FROM networks_cover
    WHERE starts_on <= %(today)s AND ends_on >= %(today)s
    ORDER BY network_id, member_id, starts_on DESC, id DESC
)
INSERT INTO notifications_notification (
    recipient_id, network_id, patient_id, kind, subject_type, subject_id, occurrence, "key",
    covering_for_id, title, body, url, created_at, email)
SELECT r.to_id, r.network_id, r.patient_id, r.kind, 'action', r.id, r.occurrence,
       left(r.kind || ':action:' || r.id || ':' || r.to_id || ':' || r.occurrence, 200),
       r.covering_for_id, left(r.title, 200), r.body, r.url, now(),
       CASE WHEN u.email = '' OR NOT u.is_active OR r.away THEN 'none'
            WHEN coalesce(pref.email, %(email_default)s) = 'immediate' THEN 'pending'
            ELSE 'digest' END
FROM (
    SELECT m.recipient_id AS to_id, NULL::bigint AS covering_for_id, m.title,
           c.deputy_id IS NOT NULL AS away,
           m.kind, m.id, m.network_id, m.patient_id, m.occurrence, m.body, m.url
    FROM messages m
    LEFT JOIN covers c ON c.network_id = m.network_id AND c.member_id = m.recipient_id
    UNION ALL
    -- the deputy's copy, for a recipient away today
    SELECT c.deputy_id, m.recipient_id,
           'Covering for '
               || coalesce(nullif(btrim(ru.first_name || ' ' || ru.last_name), ''), ru.username)
               || ': ' || m.title,
           false,
           m.kind, m.id, m.network_id, m.patient_id, m.occurrence, m.body, m.url
    FROM messages m
    JOIN covers c ON c.network_id = m.network_id AND c.member_id = m.recipient_id
                 AND c.deputy_id <> m.recipient_id
    JOIN auth_user ru ON ru.id = m.recipient_id
) r
JOIN auth_user u ON u.id = r.to_id
LEFT JOIN notifications_preference pref ON pref.user_id = r.to_id
ON CONFLICT ("key") DO NOTHING
"""

# Content of the rows inserted after a given id, in one string: sweep and floor must agree.
CHECKSUM_SQL = """
SELECT count(*), md5(coalesce(string_agg(concat_ws('|',
    "key", recipient_id, network_id, patient_id, kind, subject_type, subject_id, occurrence,
    coalesce(covering_for_id::text, '-'), title, body, url, email), E'\\n' ORDER BY "key"), ''))
FROM notifications_notification WHERE id > %s
"""


def floor_statement(today: date, *, subset: str = "") -> tuple[str, dict]:
    """The floor's SQL and parameters for `today` (optionally for a subset of the tasks)."""
    from django.conf import settings
    from django.urls import reverse

    from core.workdays import working_days_cutoff
    from networks.roles import Role
    from networks.vocabulary import PRESETS

    notify = settings.ICN_NOTIFY
    sentinel = 987654321
    before, after = reverse("patients:detail", args=[sentinel]).split(str(sentinel))
    params = {
        "remind_cutoff": working_days_cutoff(today, notify["OVERDUE_REMIND_WORKING_DAYS"]),
        "escalate_cutoff": working_days_cutoff(today, notify["OVERDUE_ESCALATE_WORKING_DAYS"]),
        "today": today,
        "tasks_url": reverse("actions:my_work"),
        "patient_url_before": before,
        "patient_url_after": after + "#tasks",
        "roles": [r.value for r in Role],
        "role_labels": [str(r.label) for r in Role],
        "email_default": notify["EMAIL_DEFAULT"],
    }
    presets = []
    for i, (vocabulary, terms) in enumerate(PRESETS.items()):
        params[f"vocabulary{i}"], params[f"chair{i}"] = vocabulary, terms["chair"]
        presets.append(f"WHEN %(vocabulary{i})s THEN %(chair{i})s")
    return FLOOR_SQL.format(subset=subset, chair_presets=" ".join(presets)), params


# --- the data set -----------------------------------------------------------------------------


@dataclass
class DataSet:
    networks: int = 0
    staff: int = 0
    patients: int = 0
    open_actions: int = 0
    done_actions: int = 0
    remind: int = 0  # open tasks overdue by >= OVERDUE_REMIND_WORKING_DAYS
    escalate: int = 0  # ... by >= OVERDUE_ESCALATE_WORKING_DAYS
    notifications: int = 0  # already in the table before the sweep
    sent_before: int = 0  # of which reminders and escalations from earlier sweeps


def _nhs_numbers(count: int):
    from core.nhs_number import check_digit

    n = 0
    while count:
        first_nine = f"999{n:06d}"
        digit = check_digit(first_nine)
        if digit is not None:
            yield first_nine + str(digit)
            count -= 1
        n += 1


def _copy(table: str, columns: tuple[str, ...], rows) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)


def _history_off() -> str:
    """No history (pghistory) for the synthetic rows, for the rest of the transaction; returns
    the setting to restore.

    Not only for speed: every history trigger opens two plpgsql EXCEPTION blocks that fail
    when no history context or ignore list is set, and each failed block scans the queue of the
    transaction's deferred foreign-key checks, so that N rows inserted in one transaction cost
    O(N^2): 110,000 tasks took 454 s instead of a few. With the ignore list set, neither block
    fails."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('pgtrigger.ignore', true)")
        previous = cursor.fetchone()[0] or ""
        cursor.execute(
            "SELECT set_config('pgtrigger.ignore', coalesce(array_agg(tgname), '{}')::text, true)"
            " FROM pg_trigger WHERE tgname LIKE %s AND NOT tgisinternal",
            ["pgtrigger_%"],
        )
    return previous


def build(*, actions: int, networks: int, patients: int, already_sent: float, seed: int) -> str:
    """The data set, in bulk. Deterministic for a given seed. Returns the time of each step."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.urls import reverse

    from core.workdays import working_days_cutoff
    from networks.models import Cover, Membership, Network
    from notifications.models import Preference
    from patients.models import Patient

    User = get_user_model()
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
    today = NOW.date()
    created = NOW - timedelta(days=40)
    remind_cutoff = working_days_cutoff(today, 1)
    escalate_cutoff = working_days_cutoff(today, 3)

    steps, started = [], time.perf_counter()

    def step(label: str) -> None:
        nonlocal started
        now = time.perf_counter()
        steps.append(f"{label} {now - started:.1f} s")
        started = now

    with transaction.atomic():
        ignored = _history_off()
        nets = Network.objects.bulk_create(
            Network(
                slug=f"bench-{i + 1}",
                name=f"Bench network {i + 1}",
                vocabulary="icn" if i % 2 == 0 else "hub",
                term_chair="clinical lead" if i == 2 else "",
                meeting_weekdays=[2],
            )
            for i in range(networks)
        )
        users = []
        for n in range(networks):
            for j, role in enumerate(ROSTER):
                users.append(
                    User(
                        username=f"bench{n + 1}.{j:02d}.{role}",
                        first_name="" if j in NAMELESS else GIVEN[(n + j) % len(GIVEN)],
                        last_name="" if j in NAMELESS else FAMILY[(3 * n + j) % len(FAMILY)],
                        email="" if j in NO_EMAIL else f"bench{n + 1}.{j:02d}@nhs.invalid",
                        is_active=j not in DISABLED,
                        password="!",  # unusable
                    )
                )
        users = User.objects.bulk_create(users)
        staff = {
            (n, j): users[n * len(ROSTER) + j].pk
            for n in range(networks)
            for j in range(len(ROSTER))
        }
        Membership.objects.bulk_create(
            Membership(
                user_id=staff[n, j],
                network=net,
                role=role,
                is_active=j not in LEFT,
                deactivated_at=created if j in LEFT else None,
            )
            for n, net in enumerate(nets)
            for j, role in enumerate(ROSTER)
        )
        Preference.objects.bulk_create(
            Preference(user_id=staff[n, j], email="immediate" if j in IMMEDIATE else "digest")
            for n in range(networks)
            for j in IMMEDIATE | CHOSE_DIGEST
        )
        Cover.objects.bulk_create(
            Cover(
                network=net,
                member_id=staff[n, member],
                deputy_id=staff[n, deputy],
                starts_on=today - timedelta(days=2),
                ends_on=today + timedelta(days=5),
                created_by_id=staff[n, CREATOR],
            )
            for n, net in enumerate(nets)
            for member, deputy in AWAY.items()
        )
        numbers = _nhs_numbers(patients)
        people = Patient.objects.bulk_create(
            (
                Patient(
                    network=nets[i % networks],
                    nhs_number=next(numbers),
                    given_name=GIVEN[rng.randrange(len(GIVEN))],
                    family_name=FAMILY[rng.randrange(len(FAMILY))],
                    date_of_birth=date(1925, 1, 1) + timedelta(days=rng.randrange(25_000)),
                )
                for i in range(patients)
            ),
            batch_size=2000,
        )
        people = [(p.pk, i % networks) for i, p in enumerate(people)]
        step("staff and patients")
        network_ids = [net.pk for net in nets]
        queue_roles, queue_weights = zip(*QUEUES, strict=True)

        def task(done: bool):
            patient_id, n = rng.choice(people)
            if rng.random() < 0.4:
                who = rng.choice(GONE) if rng.random() < 0.05 else rng.choice(CASEWORK)
                assignee_id, role = staff[n, who], ""
            else:
                assignee_id, role = None, rng.choices(queue_roles, queue_weights)[0]
            u = rng.random()
            if u < 0.10:
                due = escalate_cutoff - timedelta(days=rng.randrange(60))
            elif u < 0.30:
                due = remind_cutoff - timedelta(
                    days=rng.randrange((remind_cutoff - escalate_cutoff).days)
                )
            else:
                due = today + timedelta(days=rng.randrange(90))
            creator = staff[n, CREATOR]
            return (
                network_ids[n],
                patient_id,
                TITLES[rng.randrange(len(TITLES))].strip(),
                "",
                assignee_id,
                role,
                due,
                "done" if done else "open",
                "visit" if rng.random() < 0.15 else "manual",
                "",
                creator,
                created,
                created + timedelta(days=1) if done else None,
                creator if done else None,
            )

        _copy(
            "actions_action",
            (
                "network_id",
                "patient_id",
                "title",
                "details",
                "assignee_id",
                "assignee_role",
                "due_on",
                "status",
                "source",
                "claimed_from_role",
                "created_by_id",
                "created_at",
                "done_at",
                "done_by_id",
            ),
            (task(done=i >= actions) for i in range(actions + actions // 10)),
        )
        step("tasks")
        analyse()  # statistics for the inserts below
        # What the tasks' assignments sent (other kinds: the sweep's anti-join must skip them).
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO notifications_notification (
                    recipient_id, network_id, patient_id, kind, subject_type, subject_id,
                    occurrence, "key", title, body, url, created_at, read_at, email)
                SELECT r.user_id, a.network_id, a.patient_id, r.kind, 'action', a.id, '',
                       r.kind || ':action:' || a.id || ':' || r.user_id || ':',
                       left('New task: ' || a.title, 200), '', %(url)s, a.created_at,
                       CASE WHEN mod(a.id, 3) = 0 THEN NULL ELSE a.created_at END, 'sent'
                FROM actions_action a
                JOIN LATERAL (
                    SELECT a.assignee_id AS user_id, 'action_assigned' AS kind
                    WHERE a.assignee_id IS NOT NULL
                    UNION ALL
                    SELECT m.user_id, 'action_queued' FROM networks_membership m
                    WHERE a.assignee_id IS NULL AND m.network_id = a.network_id
                      AND m.role = a.assignee_role AND m.is_active
                ) r ON true
                """,
                {"url": reverse("actions:my_work")},
            )
            step("assignment notifications")
            analyse()
            # What earlier sweeps sent, for a share of the overdue tasks.
            sql, params = floor_statement(
                today, subset="AND mod(a.id * 7919, 1000) < %(sent_permille)s"
            )
            cursor.execute(sql, {**params, "sent_permille": round(already_sent * 1000)})
            step("earlier reminders")
            cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [ignored])
    analyse()
    step("vacuum and analyse")
    return ", ".join(steps)


def analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # VACUUM cannot run inside a transaction (the build, the smoke test).
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


def vacuum_notifications() -> None:
    from django.db import connection

    if not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM notifications_notification")


def describe(today: date) -> DataSet:
    from django.db import connection

    from core.workdays import working_days_cutoff

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM networks_network),
                   (SELECT count(*) FROM networks_membership),
                   (SELECT count(*) FROM patients_patient),
                   count(*) FILTER (WHERE status = 'open'),
                   count(*) FILTER (WHERE status = 'done'),
                   count(*) FILTER (WHERE status = 'open' AND due_on <= %s),
                   count(*) FILTER (WHERE status = 'open' AND due_on <= %s),
                   (SELECT count(*) FROM notifications_notification),
                   (SELECT count(*) FROM notifications_notification
                    WHERE kind IN ('action_overdue', 'action_escalated'))
            FROM actions_action
            """,
            [working_days_cutoff(today, 1), working_days_cutoff(today, 3)],
        )
        return DataSet(*cursor.fetchone())


# --- measuring --------------------------------------------------------------------------------


@contextmanager
def rolled_back():
    """A transaction rolled back at the end. Foreign keys are checked at once (they are
    deferred to the commit otherwise, which never comes), so that a run pays for them."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield
        transaction.set_rollback(True)


def _notifications() -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM notifications_notification")
        return cursor.fetchone()


def _checksum(after_id: int) -> tuple[int, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(CHECKSUM_SQL, [after_id])
        return cursor.fetchone()


def _breakdown(after_id: int) -> str:
    from django.db import connection

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
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from actions.reminders import sweep_overdue_actions

    captured = []
    with rolled_back():
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
    with rolled_back():
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
    from actions.reminders import sweep_overdue_actions

    vacuum_notifications()
    with rolled_back():
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
    from django.db import connection

    sql, params = floor_statement(NOW.date())
    vacuum_notifications()
    with rolled_back(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql, params)
        result.floor_ms.append((time.perf_counter() - started) * 1000)
        if cursor.rowcount != result.floor_inserted:
            result.errors.append(f"a timed floor inserted {cursor.rowcount} rows")


def explain(captured: list) -> None:
    """EXPLAIN ANALYZE of the sweep's SELECTs on tasks, and of the floor."""
    from django.db import connection

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
        with rolled_back(), connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, args)
            plan = "\n".join(f"    {row[0]}" for row in cursor.fetchall())
        print(f"\n-- {label}:\n{plan}")


def profile() -> None:
    from actions.reminders import sweep_overdue_actions

    profiler = cProfile.Profile()
    with rolled_back():
        profiler.enable()
        sweep_overdue_actions(NOW)
        profiler.disable()
    print("\n-- profile of one sweep (cumulative, top 25):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)


def measure(repeat: int, *, explain_plans: bool, profile_sweep: bool) -> Result:
    from django.test.utils import override_settings

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
            profile()
    return result


# --- report -----------------------------------------------------------------------------------


def _ms(values: list) -> str:
    if not values:
        return "-"
    return f"{min(values):9,.1f} {statistics.median(values):9,.1f}"


def report(result: Result, repeat: int) -> None:
    from django.db import connection

    from core.workdays import working_days_cutoff

    data = result.data
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    today = NOW.date()
    print(f"\nReminder sweep benchmark: sweep_overdue_actions at {NOW:%a %d %b %Y %H:%M} London")
    print(
        f"machine   {os.cpu_count()} CPUs, {platform.machine()}, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; PostgreSQL {server}; "
        f"load average up to {result.load:.1f} during the runs"
    )
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
    print(f"{'sweep':26}{result.sweep_inserted:9,} {_ms(result.sweep_ms)}")
    print(f"{'floor (one INSERT..SELECT)':26}{result.floor_inserted:9,} {_ms(result.floor_ms)}")
    print(f"{'re-run of the sweep':26}{result.rerun_inserted:9,} {_ms(result.rerun_ms)}")
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


def _server(url: str) -> dict:
    from icn.dev import server_params

    return server_params(url)


def _maintenance(url: str, sql: str, params=None) -> list:
    """One statement on the server's maintenance database, outside any transaction."""
    import psycopg

    with psycopg.connect(**_server(url), autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def scratch_name(url: str, chosen: str | None) -> str:
    name = chosen or (urlsplit(url).path.lstrip("/") or "")
    if not chosen and "bench" not in name:
        name = "icn_bench"
    if not re.fullmatch(r"[A-Za-z0-9_]+", name) or "bench" not in name:
        raise SystemExit(f"refusing database {name!r}: its name must contain 'bench'")
    return name


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


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

    from django.conf import settings

    if settings.configured:
        raise SystemExit("Django is already set up: use --current-database, or run the script")
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/icn")
    name = scratch_name(url, args.database)
    exists = _maintenance(url, "SELECT 1 FROM pg_database WHERE datname = %s", [name])
    reuse = args.reuse and bool(exists)
    if args.reuse and not exists:
        print(f"[bench] no database {name} to reuse: building it")
    if not reuse:
        _maintenance(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _maintenance(url, f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = with_database(url, name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icn.settings.local")
    import django

    django.setup()
    try:
        if not reuse:
            from django.core.management import call_command

            started = time.perf_counter()
            call_command("migrate", verbosity=0, interactive=False)
            print(f"[bench] database {name}: migrated in {time.perf_counter() - started:.1f} s")
        return _run(args, patients, build_data=not reuse)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep or args.reuse:
            print(f"[bench] kept database {name} (--reuse to run on it again)")
        else:
            _maintenance(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"[bench] dropped database {name}")


def _run(args, patients: int, *, build_data: bool) -> int:
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
