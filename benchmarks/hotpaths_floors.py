"""The hot-paths benchmark's set-up (the busiest network, its members, a session and a token
each) and its floors: the hand-written SQL for the same answer as each path, with the checks
that the path and its floor agree."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection
from django.db.models.functions import Now
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from accounts.services import token_issue
from benchmarks.harness import first_row
from benchmarks.hotpaths_measure import Statement
from core import nhs_number
from huddles import services
from huddles.models import AgendaItem, Meeting
from networks.current import SESSION_KEY
from networks.models import Membership, Network
from networks.selectors import role_in
from patients.models import Consent, Patient
from referrals.models import PatientFlag, Referral
from referrals.selectors import services_served_by


def _clients(user, network, token_key: str):
    """A session client (working in `network`) and a token client, for one user."""

    page = Client()
    page.force_login(user)
    session = page.session
    session[SESSION_KEY] = network.slug
    session.save()
    api = Client(HTTP_AUTHORIZATION=f"Token {token_key}")
    return page, api


def _token(user) -> str:
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
    network_id = first_row(
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
    return role_in(user, network.pk) or ""


def check_list(api: bool):
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


def floor_params(user, network, *, what: str, channel: str, url: str, **more) -> dict:
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


def check_ids(api: bool, *, page_index: int, id_pattern: str = ""):
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
    # The timeline (patients/timeline.py): every discussion with the tasks agreed at it, time
    # on the caseload, every visit, admission and frailty assessment, with who did each and
    # their role, newest first (the referrals are the query above).
    """SELECT t.at, t.kind, t.title, t.detail, u.first_name, u.last_name, m.role
       FROM (
           SELECT mt.starts_at AS at, 'discussion' AS kind, i.decision AS title,
                  concat_ws(' ', i.reason, i.admission_avoided, i.decision_reason, i.notes,
                    (SELECT string_agg(a.title, ' ' ORDER BY a.due_on, a.id)
                       FROM actions_action a WHERE a.agenda_item_id = i.id)) AS detail,
                  i.decided_by_id AS who
           FROM huddles_agendaitem i JOIN huddles_meeting mt ON mt.id = i.meeting_id
           WHERE i.patient_id = %(patient)s AND i.status = 'discussed'
           UNION ALL
           SELECT e.opened_at, 'episode', 'opened', '', NULL
           FROM huddles_episode e WHERE e.patient_id = %(patient)s
           UNION ALL
           SELECT e.closed_at, 'episode', 'closed', e.admission_avoided || e.closing_reason, NULL
           FROM huddles_episode e WHERE e.patient_id = %(patient)s AND e.closed_at IS NOT NULL
           UNION ALL
           SELECT v.visited_at, 'visit', v.kind, concat_ws(' ', v.news2_score, v.summary),
                  v.visitor_id
           FROM medicines_visit v WHERE v.patient_id = %(patient)s
           UNION ALL
           SELECT ad.admitted_on, 'admission', ad.kind, ad.source, NULL
           FROM reports_admissionevent ad WHERE ad.patient_id = %(patient)s
           UNION ALL
           SELECT f.assessed_on, 'frailty', f.scale, concat_ws(' ', f.efi_score, f.cfs_score),
                  f.recorded_by_id
           FROM patients_frailtyassessment f WHERE f.patient_id = %(patient)s
       ) t
       LEFT JOIN auth_user u ON u.id = t.who
       LEFT JOIN networks_membership m ON m.user_id = t.who AND m.network_id = %(network)s
       ORDER BY t.at DESC""",
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


def check_agenda(response, rows) -> str | None:
    html = response.content.decode()
    items = {r[0] for r in rows[1]}
    shown = {int(i) for i in re.findall(r"/run/(\d+)/", html)}
    missing = items - shown
    if missing:
        return f"{len(missing)} of the {len(items)} people on the agenda are not on the page"
    return None


def check_person(response, rows) -> str | None:
    record = rows[0][0]
    html = response.content.decode()
    if escape(record[2]) not in html or escape(record[3]) not in html:
        return "the person's name is not on the page"
    return None


def busiest_service(user, network) -> tuple[str, str, list[str]]:
    """The service the user triages with the most new referrals, one with the fewest."""
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
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def trim_agenda(meeting, size: int) -> None:
    """Run agenda_build, then take off the agenda every person it added beyond the first
    `size` and settle what brought them (inside the rolled-back set-up): their MDT referral
    completed, their review moved a year on, their urgent flags resolved, their "not reached"
    item removed; so that later views add no one."""

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

    found = first_row(
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
    # People who refused MDT discussion cannot be put on an agenda (issue 17).
    people = (
        Patient.objects.filter(network=network)
        .exclude(consent_mdt=Consent.REFUSED)
        .order_by("id")[:size]
    )
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
    network_ids = sorted(
        Network.objects.filter(memberships__user=manager, memberships__is_active=True).values_list(
            "pk", flat=True
        )
    )
    fn = getattr(module, "dashboard_floor", None)
    if not callable(fn):
        return None, "S: not available (no benchmarks.dashboard_floor.dashboard_floor)"

    def floor():
        with connection.cursor() as cursor:
            return fn(cursor, network_ids=network_ids, start=first, end=last)

    return floor, f"S: benchmarks.dashboard_floor over networks {network_ids}"
