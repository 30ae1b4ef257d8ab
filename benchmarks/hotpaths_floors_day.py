"""The hot-paths benchmark's floors for My day (medicines) and My work (actions): the
hand-written SQL for what each page shows, with the checks that page and floor agree
(benchmarks/hotpaths_floors.py holds the other paths' floors and the set-up)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from benchmarks.hotpaths_floors import floor_params
from referrals.selectors import services_served_by

# --- My day and My work -----------------------------------------------------------------------

# Frailty ranked as medicines.selectors.FRAILTY_RANK: severe 3 ... fit 0, not recorded -1.

# Every section of My day in one statement (a row per person shown, tagged with its section,
# the section's total beside it), and the access trail for each person shown once: visits
# logged today, follow-ups due, the first 50 referrals awaiting a visit (urgent, then the most
# frail), and the first 50 care-home residents of each group (medicines/selectors.py's
# stratification: the needs ticked, severe frailty, 10 or more current medicines, 3 admissions
# in a year; new, discharged in 30 days, swallowing, adherence), most reasons first.
MY_DAY_SQL = """
WITH visits AS (
    SELECT 'today' AS section, v.id, v.patient_id, v.kind AS detail, v.news2_score AS n1,
           NULL::int AS n2, row_number() OVER (ORDER BY v.visited_at) AS n
    FROM medicines_visit v
    WHERE v.network_id = %(network)s AND v.visitor_id = %(user)s
      AND (v.visited_at AT TIME ZONE 'Europe/London')::date = %(today)s
), follow_ups AS (
    SELECT 'follow_up' AS section, a.id, a.patient_id, a.title AS detail, NULL::int AS n1,
           NULL::int AS n2, row_number() OVER (ORDER BY a.due_on,
             CASE p.frailty WHEN 'severe' THEN 3 WHEN 'moderate' THEN 2
               WHEN 'mild' THEN 1 WHEN 'fit' THEN 0 ELSE -1 END DESC,
             a.id) AS n
    FROM actions_action a JOIN patients_patient p ON p.id = a.patient_id
    WHERE a.network_id = %(network)s AND a.assignee_id = %(user)s AND a.status = 'open'
      AND a.source = 'visit' AND a.due_on <= %(today)s
), awaiting AS (
    SELECT 'awaiting' AS section, r.id, r.patient_id,
           concat_ws(' ', r.urgency, r.triaged_at, tu.first_name, tu.last_name, tu.username,
                     left(r.reason, 160)) AS detail,
           NULL::int AS n1, NULL::int AS n2,
           row_number() OVER (ORDER BY r.urgency <> 'urgent',
             CASE p.frailty WHEN 'severe' THEN 3 WHEN 'moderate' THEN 2
               WHEN 'mild' THEN 1 WHEN 'fit' THEN 0 ELSE -1 END DESC,
             r.triaged_at, r.id) AS n
    FROM referrals_referral r JOIN patients_patient p ON p.id = r.patient_id
    LEFT JOIN auth_user tu ON tu.id = r.triaged_by_id
    WHERE r.network_id = %(network)s AND r.service = 'medicines_optimisation'
      AND r.status = 'accepted'
      AND NOT EXISTS (SELECT 1 FROM medicines_visit v WHERE v.patient_id = r.patient_id
                      AND v.visited_at >= r.triaged_at)
), residents AS (
    SELECT p.id, p.family_name, p.given_name, p.frailty, p.care_needs, ch.name AS home,
           concat_ws(' ', au.first_name, au.last_name, au.username, am.role) AS allocated,
           (SELECT count(*) FROM medicines_medication m
             WHERE m.patient_id = p.id AND m.stopped_on IS NULL) AS medicines,
           (SELECT count(*) FROM reports_admissionevent e
             WHERE e.patient_id = p.id AND e.admitted_on > %(since_recent)s) AS recent,
           (SELECT count(*) FROM reports_admissionevent e
             WHERE e.patient_id = p.id AND e.admitted_on > %(since_year)s) AS hospital
    FROM patients_patient p JOIN networks_organisation ch ON ch.id = p.care_home_id
    LEFT JOIN medicines_residentallocation ra ON ra.patient_id = p.id
    LEFT JOIN networks_membership am ON am.id = ra.member_id
    LEFT JOIN auth_user au ON au.id = am.user_id
    WHERE p.network_id = %(network)s
), scored AS (
    SELECT r.*,
           cardinality(ARRAY(SELECT unnest(r.care_needs)
                             INTERSECT SELECT unnest(%(pharmacist_needs)s::text[])))
           + coalesce(r.frailty = ANY(%(high_frailty)s), false)::int
           + (r.medicines >= %(complex)s AND NOT 'complex' = ANY(r.care_needs))::int
           + (r.hospital >= %(hospital_use)s
              AND NOT 'frequent_hospital_user' = ANY(r.care_needs))::int AS pharmacist,
           cardinality(ARRAY(SELECT unnest(r.care_needs)
                             INTERSECT SELECT unnest(%(technician_needs)s::text[])))
           + (r.recent > 0 AND NOT 'recently_discharged' = ANY(r.care_needs))::int AS technician
    FROM residents r
), grouped AS (
    SELECT s.*,
           CASE WHEN s.pharmacist > 0 THEN 'pharmacist' WHEN s.technician > 0 THEN 'technician'
                ELSE 'routine' END AS section,
           CASE WHEN s.pharmacist > 0 THEN s.pharmacist + s.technician
                WHEN s.technician > 0 THEN s.technician ELSE 0 END AS reasons
    FROM scored s
), care AS (
    SELECT g.section, g.id, g.id AS patient_id, concat_ws(' ', g.home, g.allocated) AS detail,
           g.reasons::int AS n1, count(*) OVER (PARTITION BY g.section)::int AS n2,
           row_number() OVER (PARTITION BY g.section ORDER BY g.reasons DESC,
             CASE g.frailty WHEN 'severe' THEN 3 WHEN 'moderate' THEN 2
               WHEN 'mild' THEN 1 WHEN 'fit' THEN 0 ELSE -1 END DESC,
             g.family_name, g.given_name,
             g.id) AS n
    FROM grouped g
), shown AS (
    SELECT * FROM visits UNION ALL SELECT * FROM follow_ups
    UNION ALL SELECT a.section, a.id, a.patient_id, a.detail, a.n1,
                     (SELECT count(*) FROM awaiting)::int, a.n FROM awaiting a WHERE a.n <= 50
    UNION ALL SELECT * FROM care WHERE n <= 50
), page AS (
    SELECT s.*, p.given_name, p.family_name, p.nhs_number, p.frailty, p.network_id
    FROM shown s JOIN patients_patient p ON p.id = s.patient_id
), audit AS (
    INSERT INTO audit_accessevent (at, user_id, username, role, network_id, patient_id,
                                   patient_ref, what, channel, outcome, path)
    SELECT now(), %(user)s, %(username)s, %(role)s, network_id, patient_id, '', 'my_day',
           'page', 'allowed', %(path)s FROM (SELECT DISTINCT network_id, patient_id FROM page) d
)
SELECT section, id, patient_id, n, n2, detail, n1, given_name, family_name, nhs_number, frailty
FROM page ORDER BY section, n
"""

# The pharmacists and technicians who may be allocated residents, with their caseloads.
MY_DAY_STAFF_SQL = """
SELECT m.id, m.role, u.first_name, u.last_name, u.username,
       (SELECT count(*) FROM medicines_residentallocation a WHERE a.member_id = m.id)
FROM networks_membership m JOIN auth_user u ON u.id = m.user_id
WHERE m.network_id = %(network)s AND m.is_active
  AND m.role IN ('pharmacist', 'pharmacy_technician')
ORDER BY m.role, u.first_name, u.last_name, m.id
"""


def my_day_params(user, network, url: str) -> dict:
    from django.conf import settings

    from medicines.selectors import PHARMACIST_NEEDS, TECHNICIAN_NEEDS, _high_frailty

    rules = settings.ICN_STRATIFICATION
    today = timezone.localdate()
    return floor_params(
        user, network, what="my_day", channel="page", url=url, today=today,
        since_recent=today - timedelta(days=rules["RECENT_DISCHARGE_DAYS"]),
        since_year=today - timedelta(days=rules["HOSPITAL_USE_DAYS"]),
        pharmacist_needs=sorted(PHARMACIST_NEEDS), technician_needs=sorted(TECHNICIAN_NEEDS),
        high_frailty=sorted(_high_frailty()), complex=rules["COMPLEX_MEDICINES"],
        hospital_use=rules["HOSPITAL_USE_ADMISSIONS"],
    )  # fmt: skip


def check_my_day(response, rows) -> str | None:
    """The referrals awaiting a visit in the floor's order, the residents shown, each
    section's total."""
    html = response.content.decode()
    by_section: dict[str, list] = {}
    for row in rows[0]:
        by_section.setdefault(row[0], []).append(row)
    want = [r[1] for r in by_section.get("awaiting", [])]
    got = [int(i) for i in re.findall(r'#referral-(\d+)"', html)]
    if got != want:
        return f"awaiting: ids {got[:5]}... (len {len(got)}); floor {want[:5]}... ({len(want)})"
    residents = {r[1] for key in ("pharmacist", "technician", "routine") for r in
                 by_section.get(key, [])}  # fmt: skip
    shown = {int(i) for i in re.findall(r'id="resident-(\d+)"', html)}
    if shown != residents:
        return f"residents: {len(shown)} shown, the floor {len(residents)}"
    if want and f"Awaiting a visit ({by_section['awaiting'][0][4]})" not in html:
        return "the number awaiting a visit is not the floor's"
    for key, title in (("pharmacist", "For pharmacists"), ("technician", "For technicians")):
        total = by_section[key][0][4] if by_section.get(key) else 0
        if f"{title} ({total})" not in html:
            return f"{title}: not the floor's total {total}"
    return None


# My work: the open tasks that are the user's (by name, a colleague's they cover today, or
# their role's queue) in sections, the first 50 of each with its total, the oldest 5
# referrals waiting for the services they serve with their count, and the access trail for
# each person shown once.
MY_WORK_SQL = """
WITH covering AS (
    SELECT c.member_id FROM networks_cover c
    WHERE c.network_id = %(network)s AND c.deputy_id = %(user)s
      AND c.starts_on <= %(today)s AND c.ends_on >= %(today)s
), tasks AS (
    SELECT a.id, a.patient_id, a.title, a.due_on, a.assignee_role, a.source,
           u.first_name, u.last_name, u.username,
           CASE WHEN a.due_on < %(today)s THEN 'overdue'
                WHEN a.due_on = %(today)s THEN 'today'
                WHEN coalesce(a.assignee_role, '') <> '' THEN 'queue'
                WHEN a.source = 'visit' AND a.due_on <= %(until)s THEN 'follow_up'
                ELSE 'coming_up' END AS section
    FROM actions_action a LEFT JOIN auth_user u ON u.id = a.assignee_id
    WHERE a.network_id = %(network)s AND a.status = 'open'
      AND (a.assignee_id = %(user)s OR a.assignee_id IN (SELECT member_id FROM covering)
           OR a.assignee_role = %(role)s)
), numbered AS (
    SELECT t.*, row_number() OVER (PARTITION BY t.section ORDER BY t.due_on, t.id) AS n,
           count(*) OVER (PARTITION BY t.section) AS total
    FROM tasks t
), waiting AS (
    SELECT r.id, r.patient_id, r.service, r.urgency, r.created_at FROM referrals_referral r
    WHERE r.network_id = %(network)s AND r.service = ANY(%(served)s) AND r.status = 'new'
    ORDER BY r.urgency DESC, r.created_at, r.id LIMIT 5
), page AS (
    SELECT t.section, t.id, t.patient_id, t.n, t.total,
           concat_ws(' ', t.title, t.due_on, t.assignee_role, t.source, t.first_name,
                     t.last_name, t.username) AS detail,
           p.given_name, p.family_name, p.nhs_number, p.network_id
    FROM numbered t JOIN patients_patient p ON p.id = t.patient_id
    WHERE t.n <= 50
    UNION ALL
    SELECT 'referral', w.id, w.patient_id, 0, 0, concat_ws(' ', w.service, w.urgency, w.created_at),
           p.given_name, p.family_name, p.nhs_number, p.network_id
    FROM waiting w JOIN patients_patient p ON p.id = w.patient_id
), audit AS (
    INSERT INTO audit_accessevent (at, user_id, username, role, network_id, patient_id,
                                   patient_ref, what, channel, outcome, path)
    SELECT now(), %(user)s, %(username)s, %(role)s, network_id, patient_id, '', 'my_work',
           'page', 'allowed', %(path)s FROM (SELECT DISTINCT network_id, patient_id FROM page) d
)
SELECT * FROM page ORDER BY section, n, id
"""

MY_WORK_COUNTS_SQL = """
SELECT count(*) FROM referrals_referral r WHERE r.network_id = %(network)s
   AND r.service = ANY(%(served)s) AND r.status = 'new'
"""

# The colleagues the cover form offers, and the covers under way or to come.
MY_WORK_MEMBERS_SQL = """
SELECT m.user_id, m.role, u.first_name, u.last_name, u.username
FROM networks_membership m JOIN auth_user u ON u.id = m.user_id
WHERE m.network_id = %(network)s AND m.is_active ORDER BY u.first_name, u.last_name, u.id
"""


def my_work_params(user, network, url: str) -> dict:
    from actions.selectors import FOLLOW_UP_WINDOW_DAYS

    today = timezone.localdate()
    return floor_params(
        user, network, what="my_work", channel="page", url=url, today=today,
        until=today + timedelta(days=FOLLOW_UP_WINDOW_DAYS),
        served=services_served_by(user, network),
    )  # fmt: skip


def check_my_work(response, rows) -> str | None:
    """The tasks shown are the floor's, and each list's total."""
    html = response.content.decode()
    want = sorted(r[1] for r in rows[0] if r[0] != "referral")
    got = sorted({int(i) for i in re.findall(r'id="task-(\d+)"', html)})
    if got != want:
        return f"tasks: {len(got)} shown, the floor {len(want)}"
    totals = {r[0]: r[4] for r in rows[0]}
    for section, title in (("overdue", "Overdue"), ("today", "Due today")):
        if f"{title} ({totals.get(section, 0)})" not in html:
            return f"{title}: not the floor's total {totals.get(section, 0)}"
    return None
