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

Goals (issue 8): lists, search, inbox, the person page: p50 <= 1.5 x (H + S) with a query count
that does not grow with the rows (checked on a second, smaller variant of each); the meeting
pages with 40 people: <= 10 queries; the dashboard: p50 <= 1.3 x S, S from
``benchmarks.dashboard_floor`` when it exists. Then the reminder sweep (``benchmarks.sweep``, in a
scratch database of its own) as a subprocess, unless ``--skip-sweep``.

``--current-database`` (the smoke test) runs in the database Django already uses, inside the
caller's transaction.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit, urlunsplit

BENCH_URLCONF = "benchmarks.hotpaths_urls"
GOAL_RATIO = 1.5  # p50 <= GOAL_RATIO x (H + S)
GOAL_MEETING_QUERIES = 10
GOAL_DASHBOARD = 1.3  # p50 <= GOAL_DASHBOARD x S
MEETING_SIZE = 40
# A path whose untimed check takes longer than this gets at most SLOW_RUNS timed runs (and one
# warm-up), so that the dashboard's seconds do not make the run last half an hour.
SLOW_SECONDS = 1.0
SLOW_RUNS = 5


class Rollback(Exception):
    pass


@contextmanager
def rolled_back():
    """A transaction (or a savepoint, inside one) rolled back on the way out."""
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- what is measured -------------------------------------------------------------------------


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


def run_floor(path: Path) -> list:
    from django.db import connection

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
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

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
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with rolled_back(), CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        get(path)
        total = (time.perf_counter() - started) * 1000
    sql = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
    print(f"\n-- {path.name}: {len(ctx.captured_queries)} queries, {sql:.1f} of {total:.1f} ms")
    for q in ctx.captured_queries:
        print(f"  {float(q['time']) * 1000:7.1f}  {q['sql'][:160]}")


def profile(path: Path) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    with rolled_back():
        profiler.enable()
        get(path)
        profiler.disable()
    print(f"\n-- profile of {path.name} (cumulative, top 30):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(30)


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
            profile(path)
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
    from django.db import connection

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


def server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _one(sql: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _clients(user, network, token_key: str):
    """A session client (working in `network`) and a token client, for one user."""
    from django.test import Client

    from networks.current import SESSION_KEY

    page = Client()
    page.force_login(user)
    session = page.session
    session[SESSION_KEY] = network.slug
    session.save()
    api = Client(HTTP_AUTHORIZATION=f"Token {token_key}")
    return page, api


def _token(user) -> str:
    from accounts.services import token_issue

    return token_issue(user=user)[1]


@dataclass
class Setup:
    network: object
    caseworker: object  # a pharmacist
    chair: object
    manager: object
    clients: dict  # username -> (page, api)

    def page(self, user):
        return self.clients[user.username][0]

    def api(self, user):
        return self.clients[user.username][1]


def _member(network, role: str):
    from networks.models import Membership

    membership = (
        Membership.objects.filter(network=network, role=role, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__username", "id")
        .first()
    )
    if membership is None:
        raise SystemExit(f"no active {role} in {network.slug}: is this generate_synthetic data?")
    return membership.user


def setup() -> Setup:
    """The busiest network, its first pharmacist, chair and manager (made a manager in every
    network, as the dashboard's user), with a session and a token each."""
    from networks.models import Membership, Network

    network_id = _one(
        "SELECT network_id FROM patients_patient GROUP BY network_id ORDER BY count(*) DESC, "
        "network_id LIMIT 1"
    )
    if network_id is None:
        raise SystemExit("no people in this database: run manage.py generate_synthetic first")
    network = Network.objects.get(pk=network_id[0])
    caseworker = _member(network, "pharmacist")
    chair = _member(network, "chair")
    manager = _member(network, "manager")
    template = Membership.objects.get(user=manager, network=network)
    for other in Network.objects.exclude(pk=network.pk):
        Membership.objects.update_or_create(
            user=manager,
            network=other,
            defaults={
                "role": "manager",
                "is_active": True,
                "deactivated_at": None,
                "organisation_id": template.organisation_id,
                "job_title": template.job_title,
            },
        )
    clients = {}
    for user in (caseworker, chair, manager):
        clients[user.username] = _clients(user, network, _token(user))
    return Setup(network, caseworker, chair, manager, clients)


# --- the paths and their floors ---------------------------------------------------------------

AUDIT_INSERT = """
INSERT INTO audit_accessevent (at, user_id, username, role, network_id, patient_id, patient_ref,
                               what, channel, outcome, path)
SELECT now(), %(user)s, %(username)s, %(role)s, network_id, id, '', %(what)s, %(channel)s,
       'allowed', %(path)s FROM page
"""

PATIENT_FIELDS = """
    p.id, p.nhs_number, p.given_name, p.family_name, p.date_of_birth, p.network_id, n.slug,
    gp.code AS gp_code, gp.name AS gp_name, ch.code AS ch_code, ch.name AS ch_name,
    p.address, p.postcode, p.phone, ku.username AS key_worker, p.notes_for_visitors,
    p.social_needs, p.what_matters, p.frailty, p.caseload_reason, p.clinical_notes, p.care_needs,
    p.consent_mdt, p.consent_sharing, cu.username AS consent_by, p.consent_recorded_at,
    p.created_at, p.updated_at
"""
PATIENT_JOINS = """
    FROM patients_patient p
    JOIN networks_network n ON n.id = p.network_id
    LEFT JOIN networks_organisation gp ON gp.id = p.gp_practice_id
    LEFT JOIN networks_organisation ch ON ch.id = p.care_home_id
    LEFT JOIN networks_membership km ON km.id = p.key_worker_id
    LEFT JOIN auth_user ku ON ku.id = km.user_id
    LEFT JOIN auth_user cu ON cu.id = p.consent_recorded_by_id
"""


def _search_sql(q: str) -> tuple[str, dict]:
    from core import nhs_number

    q = (q or "").strip()
    if not q:
        return "", {}
    digits = nhs_number.normalise(q)
    if digits.isdigit():
        return " AND p.nhs_number LIKE %(nhs)s", {"nhs": digits + "%"}
    sql, params = "", {}
    for i, word in enumerate(q.split()[:4]):
        sql += (
            f" AND (upper(p.family_name) LIKE upper(%(w{i})s)"
            f" OR upper(p.given_name) LIKE upper(%(w{i})s))"
        )
        params[f"w{i}"] = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return sql, params


def patient_list_floor(user, network, *, q: str, limit: int, channel: str, url: str):
    """The first page of the list (or of a search), its count, and the access trail."""
    where, params = _search_sql(q)
    params |= {
        "network": network.pk,
        "limit": limit,
        "user": user.pk,
        "username": user.username,
        "role": _role(user, network),
        "what": "search" if q else "list",
        "channel": channel,
        "path": url[:300],
    }
    page = Statement(
        f"WITH page AS (SELECT {PATIENT_FIELDS} {PATIENT_JOINS}"  # noqa: S608 (our fragments)
        f" WHERE p.network_id = %(network)s {where}"
        " ORDER BY p.family_name, p.given_name, p.id LIMIT %(limit)s),"
        f" audit AS ({AUDIT_INSERT})"
        " SELECT * FROM page ORDER BY family_name, given_name, id",
        params,
    )
    count = Statement(
        f"SELECT count(*) FROM patients_patient p WHERE p.network_id = %(network)s {where}",  # noqa: S608
        params,
    )
    return [count, page]


def _role(user, network) -> str:
    from networks.selectors import role_in

    return role_in(user, network.pk) or ""


def _check_list(api: bool):
    """The path's count and first page are the floor's."""

    def check(response, rows):
        count, page = rows[0][0][0], [r[0] for r in rows[1]]
        if api:
            body = response.json()
            got_count, got = body["count"], [r["id"] for r in body["results"]]
            if got_count != count or got != page:
                return f"API: count {got_count}, ids {got[:5]}...; floor: {count}, {page[:5]}..."
            return None
        html = response.content.decode()
        got = [int(i) for i in re.findall(r'href="/patients/(\d+)/"', html)]
        got = list(dict.fromkeys(got))
        if got != page:
            return f"page: ids {got[:5]}...; floor {page[:5]}..."
        if f"{count:,}" not in html and str(count) not in html:
            return f"page: the count {count} is not on the page"
        return None

    return check


INBOX_PAGE_SQL = """
WITH page AS (
    SELECT r.id, r.patient_id AS id_patient, r.network_id, p.given_name, p.family_name,
           p.nhs_number, r.urgency, r.origin, r.reason, r.created_at, r.source_contact,
           so.name AS source_name, u.username, u.first_name, u.last_name, m.role AS referrer_role,
           (SELECT array_agg(f.label ORDER BY pf.id) FROM referrals_patientflag pf
              JOIN referrals_redflag f ON f.id = pf.flag_id WHERE pf.referral_id = r.id) AS flags
    FROM referrals_referral r
    JOIN patients_patient p ON p.id = r.patient_id
    LEFT JOIN networks_organisation so ON so.id = r.source_organisation_id
    LEFT JOIN auth_user u ON u.id = r.referred_by_id
    LEFT JOIN networks_membership m ON m.user_id = r.referred_by_id AND m.network_id = r.network_id
    WHERE r.network_id = %(network)s AND r.service = %(service)s AND r.status = 'new'
    ORDER BY r.urgency DESC, r.created_at, r.id
    LIMIT %(limit)s
),
audit AS (
    INSERT INTO audit_accessevent (at, user_id, username, role, network_id, patient_id,
                                   patient_ref, what, channel, outcome, path)
    SELECT now(), %(user)s, %(username)s, %(role)s, network_id, id_patient, '', %(what)s,
           %(channel)s, 'allowed', %(path)s FROM page
)
SELECT * FROM page ORDER BY urgency DESC, created_at, id
"""

INBOX_COUNTS_SQL = """
SELECT service, count(*) FROM referrals_referral
WHERE network_id = %(network)s AND service = ANY(%(served)s) AND status = 'new'
GROUP BY service
"""

REFERRAL_API_SQL = """
WITH page AS (
    SELECT r.id, r.patient_id AS id_patient, r.network_id, n.slug, r.service, r.reason,
           r.urgency, r.status, r.origin, r.source_contact, so.code AS source, r.created_at,
           r.triaged_at, r.decline_reason, r.decline_note, r.closed_at,
           ru.username AS referred_by, tu.username AS triaged_by,
           (SELECT array_agg(f.code ORDER BY pf.id) FROM referrals_patientflag pf
              JOIN referrals_redflag f ON f.id = pf.flag_id WHERE pf.referral_id = r.id) AS flags
    FROM referrals_referral r
    JOIN networks_network n ON n.id = r.network_id
    LEFT JOIN networks_organisation so ON so.id = r.source_organisation_id
    LEFT JOIN auth_user ru ON ru.id = r.referred_by_id
    LEFT JOIN auth_user tu ON tu.id = r.triaged_by_id
    WHERE r.network_id = %(network)s AND r.status = %(status)s {service}
    ORDER BY r.created_at DESC, r.id DESC
    LIMIT %(limit)s
),
audit AS (
    INSERT INTO audit_accessevent (at, user_id, username, role, network_id, patient_id,
                                   patient_ref, what, channel, outcome, path)
    SELECT now(), %(user)s, %(username)s, %(role)s, network_id, id_patient, '', %(what)s,
           %(channel)s, 'allowed', %(path)s FROM page
)
SELECT * FROM page ORDER BY created_at DESC, id DESC
"""


def _params(user, network, *, what: str, channel: str, url: str, **more) -> dict:
    return {
        "network": network.pk,
        "user": user.pk,
        "username": user.username,
        "role": _role(user, network),
        "what": what,
        "channel": channel,
        "path": url[:300],
        **more,
    }


def _check_ids(api: bool, *, page_index: int, id_pattern: str = ""):
    def check(response, rows):
        want = [r[0] for r in rows[page_index]]
        if api:
            got = [r["id"] for r in response.json()["results"]]
        else:
            got = [int(i) for i in re.findall(id_pattern, response.content.decode())]
            got = list(dict.fromkeys(got))
        if got != want:
            return f"ids {got[:5]}... (len {len(got)}); floor {want[:5]}... (len {len(want)})"
        return None

    return check


PERSON_SQL = [
    # The record, with its network, practice, care home, key worker.
    f"SELECT {PATIENT_FIELDS}, n.name, n.vocabulary {PATIENT_JOINS} WHERE p.id = %(patient)s",
    # The access trail.
    """INSERT INTO audit_accessevent (at, user_id, username, role, network_id, patient_id,
           patient_ref, what, channel, outcome, path)
       SELECT now(), %(user)s, %(username)s, %(role)s, network_id, id, '', 'detail', 'page',
           'allowed', %(path)s FROM patients_patient WHERE id = %(patient)s""",
    # Care team.
    """SELECT c.id, c.involvement, m.role, m.job_title, u.username, u.first_name, u.last_name,
              o.name
       FROM patients_careteammember c JOIN networks_membership m ON m.id = c.membership_id
       JOIN auth_user u ON u.id = m.user_id LEFT JOIN networks_organisation o
         ON o.id = m.organisation_id
       WHERE c.patient_id = %(patient)s ORDER BY c.added_at""",
    # Frailty history (10).
    """SELECT f.frailty, f.efi_score, f.assessed_on, u.username, u.first_name, u.last_name
       FROM patients_frailtyassessment f LEFT JOIN auth_user u ON u.id = f.recorded_by_id
       WHERE f.patient_id = %(patient)s ORDER BY f.assessed_on DESC, f.id DESC LIMIT 10""",
    # Open tasks (20).
    """SELECT a.id, a.title, a.due_on, a.assignee_role, u.username, u.first_name, u.last_name
       FROM actions_action a LEFT JOIN auth_user u ON u.id = a.assignee_id
       WHERE a.patient_id = %(patient)s AND a.status = 'open' ORDER BY a.due_on, a.id LIMIT 20""",
    # Goals and their outcomes.
    """SELECT g.id, g.description, g.agreed_on, g.outcome, g.outcome_on, g.outcome_note,
              au.username, ou.username
       FROM patients_goal g LEFT JOIN auth_user au ON au.id = g.agreed_by_id
       LEFT JOIN auth_user ou ON ou.id = g.outcome_by_id
       WHERE g.patient_id = %(patient)s ORDER BY g.agreed_on, g.id""",
    # Referrals (all: a clinical role), with their flags and people's names and roles.
    """SELECT r.id, r.service, r.reason, r.urgency, r.status, r.origin, r.created_at,
              r.triaged_at, r.closed_at, r.decline_reason, r.decline_note, r.source_contact,
              so.name, ru.username, ru.first_name, ru.last_name, rm.role,
              tu.username, tu.first_name, tu.last_name, cu.username, cu.first_name, cu.last_name,
              (SELECT array_agg(f.label ORDER BY pf.id) FROM referrals_patientflag pf
                 JOIN referrals_redflag f ON f.id = pf.flag_id WHERE pf.referral_id = r.id)
       FROM referrals_referral r
       LEFT JOIN networks_organisation so ON so.id = r.source_organisation_id
       LEFT JOIN auth_user ru ON ru.id = r.referred_by_id
       LEFT JOIN networks_membership rm ON rm.user_id = r.referred_by_id
            AND rm.network_id = r.network_id
       LEFT JOIN auth_user tu ON tu.id = r.triaged_by_id
       LEFT JOIN auth_user cu ON cu.id = r.closed_by_id
       WHERE r.patient_id = %(patient)s ORDER BY r.created_at DESC, r.id DESC""",
    # Active red flags.
    """SELECT pf.id, f.label, f.code, pf.note, pf.raised_at, pf.referral_id, u.username,
              u.first_name, u.last_name
       FROM referrals_patientflag pf JOIN referrals_redflag f ON f.id = pf.flag_id
       LEFT JOIN auth_user u ON u.id = pf.raised_by_id
       WHERE pf.patient_id = %(patient)s AND pf.resolved_at IS NULL ORDER BY pf.raised_at""",
    # Medicines and the latest review.
    """SELECT m.id, m.name, m.form, m.strength, m.dose_amount, m.dose_unit, m.frequency,
              m.route, m.started_on, m.stopped_on, m.stop_reason, m.compliance_aid
       FROM medicines_medication m WHERE m.patient_id = %(patient)s ORDER BY m.name, m.id""",
    """SELECT r.reviewed_on, r.outcome, r.agreed_actions, u.username
       FROM medicines_medicationreview r LEFT JOIN auth_user u ON u.id = r.reviewer_id
       WHERE r.patient_id = %(patient)s ORDER BY r.reviewed_on DESC, r.id DESC LIMIT 1""",
    # Visits (the latest few, one more to know there are more) with their interventions.
    """SELECT v.id, v.kind, v.visited_at, v.summary, v.news2_score, v.follow_up_on,
              u.username, u.first_name, u.last_name, ju.username,
              (SELECT array_agg(i.kind || ' ' || i.medicine ORDER BY i.id)
                 FROM medicines_intervention i WHERE i.visit_id = v.id)
       FROM medicines_visit v LEFT JOIN auth_user u ON u.id = v.visitor_id
       LEFT JOIN auth_user ju ON ju.id = v.joint_visitor_id
       WHERE v.patient_id = %(patient)s ORDER BY v.visited_at DESC, v.id DESC LIMIT %(visits)s""",
]


AGENDA_SQL = [
    """SELECT mt.id, mt.starts_at, mt.status, n.slug, n.name, n.vocabulary, u.username
       FROM huddles_meeting mt JOIN networks_network n ON n.id = mt.network_id
       LEFT JOIN auth_user u ON u.id = mt.chair_id WHERE mt.id = %(meeting)s""",
    # The agenda with each person, and whether the caller works with them.
    """WITH mine AS (
           SELECT c.patient_id FROM patients_careteammember c
           JOIN networks_membership m ON m.id = c.membership_id
           WHERE m.user_id = %(user)s AND m.network_id = %(network)s
           UNION
           SELECT a.patient_id FROM actions_action a
           WHERE a.network_id = %(network)s AND a.status = 'open'
             AND (a.assignee_id = %(user)s
                  OR (a.assignee_id IS NULL AND a.assignee_role = %(role)s))
       ), page AS (
           SELECT i.id, i.patient_id AS pid, i.source, i.reason, i.position, i.status, i.decision,
                  i.notes, p.given_name, p.family_name, p.nhs_number, p.network_id,
                  i.patient_id IN (SELECT patient_id FROM mine) AS yours
           FROM huddles_agendaitem i JOIN patients_patient p ON p.id = i.patient_id
           WHERE i.meeting_id = %(meeting)s AND i.status <> 'removed'
       ), audit AS (
           INSERT INTO audit_accessevent (at, user_id, username, role, network_id, patient_id,
                                          patient_ref, what, channel, outcome, path)
           SELECT now(), %(user)s, %(username)s, %(role)s, network_id, pid, '', 'meeting',
                  'page', 'allowed', %(path)s FROM page
       )
       SELECT * FROM page ORDER BY position, id""",
]

RUN_SQL = [
    *AGENDA_SQL,
    # The network's members and who is present.
    """SELECT m.user_id, m.role, u.first_name, u.last_name, u.username,
              EXISTS (SELECT 1 FROM huddles_attendance a WHERE a.meeting_id = %(meeting)s
                      AND a.user_id = m.user_id AND a.present)
       FROM networks_membership m JOIN auth_user u ON u.id = m.user_id
       WHERE m.network_id = %(network)s AND m.is_active AND m.role <> 'partner_system'
       ORDER BY u.first_name, u.last_name""",
    # The person under discussion: since when, and what happened since.
    """SELECT coalesce(max(decided_at), now() - interval '90 days') FROM huddles_agendaitem
       WHERE patient_id = %(patient)s AND status = 'discussed' AND decided_at IS NOT NULL
         AND meeting_id <> %(meeting)s""",
    """SELECT v.id, v.kind, v.visited_at, v.summary, u.first_name, u.last_name
       FROM medicines_visit v LEFT JOIN auth_user u ON u.id = v.visitor_id
       WHERE v.patient_id = %(patient)s AND v.visited_at >= now() - interval '90 days'
       ORDER BY v.visited_at DESC""",
    """SELECT r.id, r.service, r.status, r.urgency, r.reason, r.created_at
       FROM referrals_referral r WHERE r.patient_id = %(patient)s
         AND (r.created_at >= now() - interval '90 days' OR r.status IN ('new', 'accepted'))
       ORDER BY r.created_at DESC""",
    """SELECT a.id, a.title, a.status, a.due_on, a.assignee_role, u.first_name, u.last_name
       FROM actions_action a LEFT JOIN auth_user u ON u.id = a.assignee_id
       WHERE a.patient_id = %(patient)s AND (a.created_at >= now() - interval '90 days'
             OR a.status = 'open' OR a.agenda_item_id = %(item)s)
       ORDER BY a.status, a.due_on, a.id""",
    """SELECT pf.id, f.label, pf.raised_at FROM referrals_patientflag pf
       JOIN referrals_redflag f ON f.id = pf.flag_id
       WHERE pf.patient_id = %(patient)s AND pf.resolved_at IS NULL""",
]


def _check_agenda(response, rows) -> str | None:
    html = response.content.decode()
    items = {r[0] for r in rows[1]}
    shown = {int(i) for i in re.findall(r"/run/(\d+)/", html)}
    missing = items - shown
    if missing:
        return f"{len(missing)} of the {len(items)} people on the agenda are not on the page"
    return None


def _check_person(response, rows) -> str | None:
    from django.utils.html import escape

    record = rows[0][0]
    html = response.content.decode()
    if escape(record[2]) not in html or escape(record[3]) not in html:
        return "the person's name is not on the page"
    return None


def busiest_service(user, network) -> tuple[str, str, list[str]]:
    """The service the user triages with the most new referrals, one with the fewest."""
    from referrals.selectors import services_served_by

    served = services_served_by(user, network)
    counts = dict.fromkeys(served, 0)
    with_sql = _rows(
        "SELECT service, count(*) FROM referrals_referral WHERE network_id = %s AND status = 'new'"
        " AND service = ANY(%s) GROUP BY service",
        [network.pk, served],
    )
    counts.update(dict(with_sql))
    ranked = sorted(served, key=lambda s: (-counts[s], s))
    return ranked[0], ranked[-1], served


def _rows(sql: str, params=None) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def trim_agenda(meeting, size: int) -> None:
    """Run agenda_build, then take off the agenda every person it added beyond the first
    `size` and settle what brought them (inside the rolled-back set-up): their MDT referral
    completed, their review moved a year on, their urgent flags resolved, their "not reached"
    item removed; so that later views add no one."""
    from datetime import timedelta

    from django.db.models.functions import Now
    from django.utils import timezone

    from huddles import services
    from huddles.models import AgendaItem
    from referrals.models import PatientFlag, Referral

    later = timezone.localdate(meeting.starts_at) + timedelta(days=365)
    for _ in range(3):
        services.agenda_build(meeting=meeting)
        items = meeting.items.exclude(status=AgendaItem.Status.REMOVED).order_by("position", "id")
        extra = list(items.values_list("pk", "referral_id", "patient_id")[size:])
        if not extra:
            return
        people = [patient for _, _, patient in extra]
        Referral.objects.filter(pk__in=[r for _, r, _ in extra if r]).update(
            status="completed", closed_at=Now()
        )
        AgendaItem.objects.filter(pk__in=[pk for pk, _, _ in extra]).delete()
        others = AgendaItem.objects.filter(
            meeting__network_id=meeting.network_id, patient_id__in=people
        ).exclude(meeting_id=meeting.pk)
        others.filter(next_review_on__isnull=False).update(next_review_on=later)
        others.filter(status=AgendaItem.Status.NOT_REACHED).update(status=AgendaItem.Status.REMOVED)
        PatientFlag.objects.filter(patient_id__in=people, resolved_at__isnull=True).update(
            resolved_at=Now()
        )


def meeting_of(network, chair, size: int):
    """A meeting of the network, not closed, with `size` people on its agenda: found, or made
    (in the rolled-back transaction) from people not on it."""
    from django.utils import timezone

    from huddles import services
    from huddles.models import AgendaItem, Meeting
    from patients.models import Patient

    found = _one(
        "SELECT m.id FROM huddles_meeting m JOIN huddles_agendaitem i ON i.meeting_id = m.id"
        " WHERE m.network_id = %s AND m.status = 'scheduled' AND i.status <> 'removed'"
        " GROUP BY m.id HAVING count(*) = %s ORDER BY m.starts_at DESC LIMIT 1",
        [network.pk, size],
    )
    if found:
        return Meeting.objects.get(pk=found[0]), "found"
    when = timezone.now() + timedelta(days=200 + size)
    meeting = Meeting.objects.create(
        network=network, scheduled_for=when, starts_at=when, chair=chair
    )
    people = Patient.objects.filter(network=network).order_by("id")[:size]
    for i, person in enumerate(people):
        services.agenda_add(meeting=meeting, patient=person, by=chair, reason=f"Benchmark {i}")
    assert meeting.items.exclude(status=AgendaItem.Status.REMOVED).count() == size
    return meeting, "made"


def dashboard_floor(manager, first: date, last: date):
    """S for the dashboard from benchmarks.dashboard_floor (another piece of issue 8), if any."""
    try:
        module = importlib.import_module("benchmarks.dashboard_floor")
    except ImportError:
        return None, "S: not available (no benchmarks.dashboard_floor)"
    from networks.models import Network

    network_ids = sorted(
        Network.objects.filter(memberships__user=manager, memberships__is_active=True).values_list(
            "pk", flat=True
        )
    )
    fn = getattr(module, "dashboard_floor", None)
    if not callable(fn):
        return None, "S: not available (no benchmarks.dashboard_floor.dashboard_floor)"

    def floor():
        from django.db import connection

        with connection.cursor() as cursor:
            return fn(cursor, network_ids=network_ids, start=first, end=last)

    return floor, f"S: benchmarks.dashboard_floor over networks {network_ids}"


def build_paths(s: Setup, only: list[str]) -> list[Path]:
    from django.urls import reverse

    from benchmarks.hotpaths_urls import EMPTY_PATH  # noqa: F401
    from medicines.views import VISITS_SHOWN
    from patients.models import Patient

    net, pharmacist, chair = s.network, s.caseworker, s.chair
    paths: list[Path] = []

    def wanted(name: str) -> bool:
        return not only or any(name.startswith(o) or o in name for o in only)

    # 1. The patient list and search.
    probe = Patient.objects.filter(network=net).order_by("family_name", "given_name", "id")
    middle = probe[probe.count() // 2] if probe.exists() else None
    name_q = middle.family_name[:4] if middle else "a"
    nhs = middle.nhs_number if middle else "999"
    nhs_q = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"
    lists = [
        ("patients-api", "API  /api/v1/patients/", "api", "", 50),
        ("patients-page", "page /patients/", "page", "", 25),
        ("search-name-api", f"API  /api/v1/patients/?q={name_q}", "api", name_q, 50),
        ("search-name-page", f"page /patients/?q={name_q}", "page", name_q, 25),
        ("search-nhs-api", "API  /api/v1/patients/?q=<NHS number>", "api", nhs_q, 50),
        ("search-nhs-page", "page /patients/?q=<NHS number>", "page", nhs_q, 25),
    ]
    for name, label, channel, q, limit in lists:
        if not wanted(name):
            continue
        base = "/api/v1/patients/" if channel == "api" else "/patients/"
        url = base + (f"?q={q.replace(' ', '+')}" if q else "")
        # Fewer rows, the same queries: one person (by NHS number; by name for that search).
        one = f"{middle.given_name}+{middle.family_name}" if middle else "a"
        small = base + "?q=" + (one if q == nhs_q else nhs)
        client = s.api(pharmacist) if channel == "api" else s.page(pharmacist)
        paths.append(
            Path(
                name,
                label,
                channel,
                url,
                client,
                patient_list_floor(pharmacist, net, q=q, limit=limit, channel=channel, url=url),
                "ratio",
                small_url=small,
                check=_check_list(channel == "api"),
            )
        )

    # 2. The triage inbox.
    busiest, quietest, served = busiest_service(pharmacist, net)
    if wanted("inbox-page"):
        url = reverse("referrals:inbox_service", args=[busiest])
        params = _params(
            pharmacist, net, what="referral_inbox", channel="page", url=url,
            service=busiest, served=served, limit=50,
        )  # fmt: skip
        paths.append(
            Path(
                "inbox-page",
                f"page /referrals/inbox/{busiest}/",
                "page",
                url,
                s.page(pharmacist),
                [Statement(INBOX_COUNTS_SQL, params), Statement(INBOX_PAGE_SQL, params)],
                "ratio",
                small_url=reverse("referrals:inbox_service", args=[quietest]),
                check=_check_ids(False, page_index=1, id_pattern=r'id="referral-(\d+)"'),
            )
        )
    if wanted("inbox-api"):
        url = f"/api/v1/referrals/?status=new&service={busiest}"
        params = _params(
            pharmacist, net, what="list", channel="api", url=url,
            service=busiest, status="new", limit=50,
        )  # fmt: skip
        paths.append(
            Path(
                "inbox-api",
                f"API  /api/v1/referrals/?status=new&service={busiest}",
                "api",
                url,
                s.api(pharmacist),
                [
                    Statement(
                        "SELECT count(*) FROM referrals_referral r WHERE r.network_id = %(network)s"
                        " AND r.status = %(status)s AND r.service = %(service)s",
                        params,
                    ),
                    Statement(
                        REFERRAL_API_SQL.format(service="AND r.service = %(service)s"), params
                    ),
                ],
                "ratio",
                small_url=f"/api/v1/referrals/?status=new&service={quietest}",
                check=_check_ids(True, page_index=1),
            )
        )

    # 3. The person page: the one with the most history, and one with little.
    if wanted("patient-page"):
        most = _one(
            "SELECT patient_id, count(*) FROM referrals_referral WHERE network_id = %s"
            " GROUP BY patient_id ORDER BY count(*) DESC, patient_id LIMIT 1",
            [net.pk],
        )
        least = (
            Patient.objects.filter(network=net).exclude(referrals__isnull=False).first()
            or Patient.objects.filter(network=net).exclude(pk=most[0]).first()
        )
        url = reverse("patients:detail", args=[most[0]])
        params = _params(
            pharmacist, net, what="detail", channel="page", url=url,
            patient=most[0], visits=VISITS_SHOWN + 1,
        )  # fmt: skip
        history = _one(
            "SELECT (SELECT count(*) FROM referrals_referral WHERE patient_id = %(p)s),"
            " (SELECT count(*) FROM medicines_visit WHERE patient_id = %(p)s),"
            " (SELECT count(*) FROM actions_action WHERE patient_id = %(p)s),"
            " (SELECT count(*) FROM huddles_agendaitem WHERE patient_id = %(p)s)",
            {"p": most[0]},
        )
        paths.append(
            Path(
                "patient-page",
                "page /patients/<pk>/",
                "page",
                url,
                s.page(pharmacist),
                [Statement(sql, params) for sql in PERSON_SQL],
                "ratio",
                small_url=reverse("patients:detail", args=[least.pk]),
                check=_check_person,
                note=(
                    f"{history[0]} referrals, {history[1]} visits, {history[2]} tasks, "
                    f"{history[3]} agenda items"
                ),
            )
        )

    # 4. A meeting of 40 (and one of 5, for the constant count), as its chair.
    if wanted("meeting-agenda") or wanted("meeting-run"):
        meeting, how = meeting_of(net, chair, MEETING_SIZE)
        small, _ = meeting_of(net, chair, 5)
        items = list(meeting.items.exclude(status="removed").order_by("position", "id"))
        small_items = list(small.items.exclude(status="removed").order_by("position", "id"))
        # agenda_build's first run adds the network's waiting MDT referrals (hundreds in the
        # synthetic data): trim both agendas back to their size, then count (and time) views
        # that add nothing.
        trim_agenda(meeting, MEETING_SIZE)
        trim_agenda(small, 5)
        s.page(chair).get(f"/meetings/{meeting.pk}/")
        s.page(chair).get(f"/meetings/{small.pk}/")
        built = meeting.items.exclude(status="removed").count()
        note = (
            f"meeting {meeting.pk} ({how}) with {len(items)} people, {built} on its agenda once "
            f"the chair's first view has run agenda_build; the small one: "
            f"{small.items.exclude(status='removed').count()}"
        )
        for name, label, url, small_url, sqls in [
            (
                "meeting-agenda",
                f"page /meetings/<pk>/ ({built} people)",
                f"/meetings/{meeting.pk}/",
                f"/meetings/{small.pk}/",
                AGENDA_SQL,
            ),
            (
                "meeting-run",
                f"page /meetings/<pk>/run/<item>/ ({built})",
                f"/meetings/{meeting.pk}/run/{items[1].pk}/",
                f"/meetings/{small.pk}/run/{small_items[1].pk}/",
                RUN_SQL,
            ),
        ]:
            if not wanted(name):
                continue
            params = _params(
                chair, net, what="meeting", channel="page", url=url,
                meeting=meeting.pk, patient=items[1].patient_id, item=items[1].pk,
            )  # fmt: skip
            paths.append(
                Path(
                    name,
                    label,
                    "page",
                    url,
                    s.page(chair),
                    [Statement(sql, params) for sql in sqls],
                    "queries",
                    small_url=small_url,
                    check=_check_agenda,
                    note=note,
                )
            )

    # 5. The dashboard over every network, twelve months, as a manager in all of them.
    from reports.api import default_period

    first, last = default_period()
    span = f"from={first:%Y-%m}&to={last:%Y-%m}"
    floor_fn, floor_note = dashboard_floor(s.manager, first, last)
    for name, label, channel, url in [
        ("dashboard-page", "page /reports/ (all networks, 12 months)", "page", f"/reports/?{span}"),
        (
            "dashboard-api",
            "API  /api/v1/reports/dashboard/ (all, 12 months)",
            "api",
            f"/api/v1/reports/dashboard/?{span}",
        ),
    ]:
        if not wanted(name):
            continue
        client = s.api(s.manager) if channel == "api" else s.page(s.manager)
        paths.append(
            Path(name, label, channel, url, client, [], "dashboard", floor_fn=floor_fn,
                 note=floor_note)
        )  # fmt: skip
    return paths


# --- report -----------------------------------------------------------------------------------


def pct(values: list, p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def verdict(path: Path) -> tuple[str, str, bool | None]:
    """(goal, figure, met)."""
    p50 = statistics.median(path.times) if path.times else float("nan")
    h = statistics.median(path.h_times) if path.h_times else float("nan")
    s = statistics.median(path.s_times) if path.s_times else None
    constant = path.small_queries is None or path.small_queries == path.queries
    if path.goal == "ratio":
        ratio = p50 / (h + s) if s else float("nan")
        met = ratio <= GOAL_RATIO and constant
        extra = "" if constant else f", queries {path.small_queries} vs {path.queries}: GROW"
        return f"<= {GOAL_RATIO} x (H+S), const", f"{ratio:.2f}x{extra}", met
    if path.goal == "queries":
        met = path.queries <= GOAL_MEETING_QUERIES and constant
        ratio = p50 / (h + s) if s else float("nan")
        extra = "" if constant else f", {path.small_queries} with 5"
        figure = f"{path.queries} q{extra} ({ratio:.2f}x H+S)"
        return f"<= {GOAL_MEETING_QUERIES} queries", figure, met
    if s is None:
        return f"<= {GOAL_DASHBOARD} x S", "S n/a", None
    ratio = p50 / s
    return f"<= {GOAL_DASHBOARD} x S", f"{ratio:.2f}x S", ratio <= GOAL_DASHBOARD


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


def bench_name(url: str, chosen: str | None) -> str:
    name = chosen or urlsplit(url).path.lstrip("/") or ""
    if not chosen and "bench" not in name:
        name = "icn_bench"
    if not re.fullmatch(r"[A-Za-z0-9_]+", name) or "bench" not in name:
        raise SystemExit(f"refusing database {name!r}: its name must contain 'bench'")
    return name


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
        from django.conf import settings

        if settings.configured:
            raise SystemExit("Django is already set up: use --current-database, or run the script")
        url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/icn_bench")
        name = bench_name(url, args.database)
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path="/" + name))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icn.settings.local")
        os.environ.setdefault("ICN_READ_DOTENV", "false")
        import django

        django.setup()
    status = _run(args)
    if not args.skip_sweep and not args.current_database:
        from django.db import connections

        connections.close_all()
        run_sweep(args)
    return status


def _run(args) -> int:
    from django.db import connection
    from django.test.utils import override_settings

    load_start = os.getloadavg()
    print(f"\nHot paths benchmark ({connection.settings_dict['NAME']})")
    print(
        f"machine   {os.cpu_count()} CPUs ({cpu_model()}), {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; PostgreSQL "
        f"{server_version()}; load average at start {load_start[0]:.2f} {load_start[1]:.2f} "
        f"{load_start[2]:.2f}"
    )
    print("data      " + ", ".join(f"{n:,} {label}" for label, n in describe()))
    allowed = ["testserver", "127.0.0.1", "localhost"]
    with (
        override_settings(ROOT_URLCONF=BENCH_URLCONF, ALLOWED_HOSTS=allowed, DEBUG=False),
        rolled_back(),
    ):
        s = setup()
        from benchmarks.hotpaths_urls import EMPTY_PATH

        empty = {
            "page": Path("H", "H", "page", EMPTY_PATH, s.page(s.caseworker), [], ""),
            "api": Path("H", "H", "api", EMPTY_PATH, s.api(s.caseworker), [], ""),
        }
        paths = build_paths(s, args.only)
        print(f"network   {s.network.slug}: {s.caseworker.username}, {s.chair.username}, "
              f"{s.manager.username} (manager in every network here)")  # fmt: skip
        started = time.perf_counter()
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
    report(paths, args.repeat, args.warmup)
    print(
        f"\n  measured in {elapsed:.0f} s; load average at end {load_end[0]:.2f} "
        f"{load_end[1]:.2f} {load_end[2]:.2f}"
    )
    errors = [p for p in paths if p.errors]
    for path in errors:
        for error in path.errors:
            print(f"ERROR: {path.name}: {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
