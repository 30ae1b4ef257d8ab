"""The reminder-sweep benchmark's floor: the same reminders and escalations as the sweep, as
one INSERT..SELECT (also how the data set makes the reminders of earlier sweeps)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.urls import reverse

from core.workdays import working_days_cutoff
from networks.roles import Role
from networks.vocabulary import PRESETS

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
