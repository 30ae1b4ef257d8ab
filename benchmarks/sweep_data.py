"""The reminder-sweep benchmark's data set (``build``): networks of 20 staff, patients, open
and done tasks, the notifications already sent; in bulk (COPY), without history."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.urls import reverse

from benchmarks.sweep_floor import floor_statement
from core.nhs_number import check_digit
from core.workdays import working_days_cutoff
from networks.models import Cover, Membership, Network
from notifications.models import Preference
from patients.models import Patient

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
    n = 0
    while count:
        first_nine = f"999{n:06d}"
        digit = check_digit(first_nine)
        if digit is not None:
            yield first_nine + str(digit)
            count -= 1
        n += 1


def _copy(table: str, columns: tuple[str, ...], rows) -> None:
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
    with connection.cursor() as cursor:
        # VACUUM cannot run inside a transaction (the build, the smoke test).
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


def vacuum_notifications() -> None:
    if not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM notifications_notification")


def describe(today: date) -> DataSet:

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
