"""Every URL (API and pages) for every role: the access matrix of issue #2, asserted.

CASEWORK roles open people's records; `pic` too but without clinical fields (tested in
tests/patients); `care_home_staff` only the residents of their own care home (none here, so
403 but for the lists); `manager` reads reports and the access trail, not records; `ig_lead`
reads the access trail only. Chair, managers and the IG lead see who looked at a record.
Anything in another network is 404 for everyone.

Referrals: casework roles refer and raise red flags; a partner system's account may only
create referrals (API) and read its own, and gets 403 on every page but its notifications. A
referral is triaged by the roles that serve its service, and the chair. The referrals inbox
redirects those who serve a service to it, tells a casework role that serves none so (200),
and refuses others.
"""

import re

import pytest
from django.utils import timezone

from notifications.services import notification_send

from .access_forms import PAGE_DATA
from .access_rules import (
    ADMIT,
    ALL,
    ALLOCATE,
    CASEWORK,
    CHAIR,
    CLINICAL,
    FOREIGN_VISIT,
    IG,
    ITEM,
    MEDICINES,
    MEETING,
    NOTES,
    OLD_NHS,
    OVERSIGHT,
    RECORDS,
    REFERRERS,
    REPORTS,
    SOCIAL,
    SOON,
    TRAIL,
    VISIT,
    WEBHOOKS,
    _inbox_home,
    _patient_body,
    _task_body,
    chair_of_meeting,
    chair_only,
    chair_restricts,
    chair_webhook,
    clinical_404,
    clinical_pic_302,
    clinical_pic_404,
    expect,
    meeting_404,
)

_CF, _NONE = expect(CLINICAL, 200), expect(set(), 0, 404)
# Networks side by side: commissioners (the matrix's is in one network: they may compare);
# a manager of one network may not.
_COMPARE = expect({"commissioner"}, 200)

# (name, method, url template, body factory, expected status by role)
API = [
    ("me", "get", "/api/v1/me/", None, expect(set(ALL), 200)),
    ("networks", "get", "/api/v1/networks/", None, expect(set(ALL), 200)),
    ("network", "get", "/api/v1/networks/thornton-heath/", None, expect(set(ALL), 200)),
    ("foreign network", "get", "/api/v1/networks/purbeck/", None, expect(set(), 0, 404)),
    # The network's services (configuration): any member; another network is 404.
    (
        "network services",
        "get",
        "/api/v1/networks/thornton-heath/services/",
        None,
        expect(set(ALL), 200),
    ),
    (
        "foreign network services",
        "get",
        "/api/v1/networks/purbeck/services/",
        None,
        expect(set(), 0, 404),
    ),
    ("patients", "get", "/api/v1/patients/", None, expect(RECORDS, 200)),
    ("patient create", "post", "/api/v1/patients/", "patient", expect(CASEWORK, 201)),
    ("patient", "get", "/api/v1/patients/{p}/", None, expect(CASEWORK, 200)),
    # No file sent: those who may add people are told so (400); others are refused first.
    ("patient import", "post", "/api/v1/patients/import/", None, expect(CASEWORK, 400)),
    ("patient patch", "patch", "/api/v1/patients/{p}/", "phone", expect(CASEWORK, 200)),
    ("foreign patient", "get", "/api/v1/patients/{f}/", None, expect(set(), 0, 404)),
    ("foreign patch", "patch", "/api/v1/patients/{f}/", "phone", expect(set(), 0, 404)),
    ("record frailty", "post", "/api/v1/patients/{p}/frailty/", "frailty", expect(CLINICAL, 201)),
    # Breaking the glass (issue #17): roles that read clinical detail at all; 400 without a
    # reason; another network's person is not found.
    ("break glass", "post", "/api/v1/patients/{p}/break-glass/", "glass", expect(CLINICAL, 200)),
    ("break glass bad", "post", "/api/v1/patients/{p}/break-glass/", None, expect(CLINICAL, 400)),
    (
        "foreign break glass",
        "post",
        "/api/v1/patients/{f}/break-glass/",
        "glass",
        expect(set(), 0, 404),
    ),
    (
        "foreign frailty",
        "post",
        "/api/v1/patients/{f}/frailty/",
        "frailty",
        expect(set(), 0, 404),
    ),
    # The care plan: casework roles read it (the PIC its social parts); clinical roles edit.
    ("care plan", "get", "/api/v1/patients/{p}/care-plan/", None, expect(CASEWORK, 200)),
    ("care plan put", "put", "/api/v1/patients/{p}/care-plan/", "care_plan", expect(CLINICAL, 200)),
    (
        "foreign care plan",
        "put",
        "/api/v1/patients/{f}/care-plan/",
        "care_plan",
        expect(set(), 0, 404),
    ),
    ("access log", "get", "/api/v1/patients/{p}/access-log/", None, expect(TRAIL, 200)),
    ("foreign access log", "get", "/api/v1/patients/{f}/access-log/", None, expect(set(), 0, 404)),
    ("access events", "get", "/api/v1/access-events/", None, expect(TRAIL, 200)),
    (
        "foreign access events",
        "get",
        "/api/v1/access-events/?network=purbeck",
        None,
        expect(set(), 0, 404),
    ),
    ("tasks", "get", "/api/v1/tasks/", None, expect(set(ALL), 200)),
    ("task create", "post", "/api/v1/tasks/", "task", expect(CASEWORK, 201)),
    # {t} is in the gp queue: the network's tasks are for clinical roles (not the PIC's).
    ("task", "get", "/api/v1/tasks/{t}/", None, expect(CLINICAL, 200)),
    ("task done", "post", "/api/v1/tasks/{t}/done/", None, expect(CLINICAL, 200)),
    ("task patch", "patch", "/api/v1/tasks/{t}/", "task_title", expect(CLINICAL, 200)),
    ("foreign task patch", "patch", "/api/v1/tasks/{ft}/", "task_title", expect(set(), 0, 404)),
    # Reports: the chair, integrated manager, manager and commissioner of the network.
    (
        "admissions avoided",
        "get",
        "/api/v1/reports/admissions-avoided/?network=thornton-heath",
        None,
        expect(REPORTS, 200),
    ),
    (
        "foreign admissions avoided",
        "get",
        "/api/v1/reports/admissions-avoided/?network=purbeck",
        None,
        expect(set(), 0, 404),
    ),
    ("report dashboard", "get", "/api/v1/reports/dashboard/", None, expect(REPORTS, 200)),
    ("compare networks", "get", "/api/v1/reports/networks/", None, _COMPARE),
    ("compare trend", "get", "/api/v1/reports/networks/trend/", None, _COMPARE),
    # Case finding (issue #19): the chair and clinical roles of the network.
    ("case finding", "get", "/api/v1/case-finding/?network=thornton-heath", None, _CF),
    ("foreign case finding", "get", "/api/v1/case-finding/?network=purbeck", None, _NONE),
    # Population denominators (issue #19): the roles that read reports. No file sent: they
    # are told so (400); others are refused first.
    (
        "populations",
        "get",
        "/api/v1/populations/?network=thornton-heath",
        None,
        expect(REPORTS, 200),
    ),
    (
        "foreign populations",
        "get",
        "/api/v1/populations/?network=purbeck",
        None,
        expect(set(), 0, 404),
    ),
    ("population import", "post", "/api/v1/populations/import/", None, expect(OVERSIGHT, 400)),
    # The task is in the gp queue: only a gp may claim it.
    ("task claim", "post", "/api/v1/tasks/{t}/claim/", None, expect({"gp"}, 200)),
    ("foreign task claim", "post", "/api/v1/tasks/{ft}/claim/", None, expect(set(), 0, 404)),
    ("foreign task", "get", "/api/v1/tasks/{ft}/", None, expect(set(), 0, 404)),
    ("notifications", "get", "/api/v1/notifications/", None, expect(set(ALL), 200)),
    ("red flags", "get", "/api/v1/red-flags/", None, expect(set(ALL), 200)),
    ("referrals", "get", "/api/v1/referrals/", None, expect(set(ALL), 200)),
    ("referral create", "post", "/api/v1/referrals/", "referral", expect(REFERRERS, 201)),
    ("referral", "get", "/api/v1/referrals/{r}/", None, expect(CLINICAL, 200)),
    ("referral accept", "post", "/api/v1/referrals/{r}/accept/", None, expect(MEDICINES, 200)),
    (
        "referral decline",
        "post",
        "/api/v1/referrals/{r}/decline/",
        "decline",
        expect(MEDICINES, 200),
    ),
    (
        "referral complete",
        "post",
        "/api/v1/referrals/{ra}/complete/",
        "outcome",
        expect(SOCIAL, 200),
    ),
    ("referral withdraw", "post", "/api/v1/referrals/{r}/withdraw/", None, expect(set(), 0, 403)),
    ("foreign referral", "get", "/api/v1/referrals/{fr}/", None, expect(set(), 0, 404)),
    ("foreign accept", "post", "/api/v1/referrals/{fr}/accept/", None, expect(set(), 0, 404)),
    ("visits", "get", "/api/v1/visits/", None, expect(CLINICAL, 200)),
    ("visit create", "post", "/api/v1/visits/", "visit", expect(CLINICAL, 201)),
    ("visit", "get", "/api/v1/visits/{v}/", None, expect(CLINICAL, 200)),
    ("foreign visit", "get", "/api/v1/visits/{fv}/", None, clinical_404),
    # Breaking the glass on a visit: roles that read clinical detail (not the PIC, managers, the
    # IG lead); another network's visit is not found. The IG lead reviews break-glass.
    ("visit glass", "post", "/api/v1/visits/{v}/break-glass/", "glass", expect(CLINICAL, 200)),
    ("foreign visit glass", "post", "/api/v1/visits/{fv}/break-glass/", "glass", clinical_404),
    ("break-glass list", "get", "/api/v1/break-glass/", None, expect(IG, 200)),
    (
        "foreign glass list",
        "get",
        "/api/v1/break-glass/?network=purbeck",
        None,
        expect(set(), 0, 404),
    ),
    ("glass review", "post", "/api/v1/break-glass/{bg}/review/", "bg_review", expect(IG, 200)),
    (
        "foreign glass review",
        "post",
        "/api/v1/break-glass/{fbg}/review/",
        "bg_review",
        expect(IG, 404),
    ),
    ("medications", "get", "/api/v1/medications/", None, expect(CLINICAL, 200)),
    ("medication add", "post", "/api/v1/medications/", "medication", expect(CLINICAL, 201)),
    ("medication", "get", "/api/v1/medications/{m}/", None, expect(CLINICAL, 200)),
    ("dm+d search", "get", "/api/v1/dmd/?q=amlo", None, expect(CLINICAL, 200)),
    (
        "gp list import",
        "post",
        "/api/v1/patients/{p}/medications/import/",
        "gp_list",
        expect(CLINICAL, 201),
    ),
    (
        "foreign gp list import",
        "post",
        "/api/v1/patients/{f}/medications/import/",
        "gp_list",
        expect(CLINICAL, 404),
    ),
    ("supplies", "get", "/api/v1/supplies/", None, expect(CLINICAL, 200)),
    ("supply add", "post", "/api/v1/supplies/", "supply", expect(CLINICAL, 201)),
    ("supply upload", "post", "/api/v1/supplies/upload/", None, expect(CLINICAL, 400)),
    ("reviews", "get", "/api/v1/medication-reviews/", None, expect(CLINICAL, 200)),
    ("review add", "post", "/api/v1/medication-reviews/", "review", expect(CLINICAL, 201)),
    ("huddles", "get", "/api/v1/huddles/", None, expect(MEETING, 200)),
    # No body: the chair is told what is missing (400); others are refused first.
    ("huddle add", "post", "/api/v1/huddles/", None, expect(CHAIR, 400)),
    ("huddle", "get", "/api/v1/huddles/{h}/", None, expect(MEETING, 200)),
    ("foreign huddle", "get", "/api/v1/huddles/{fh}/", None, meeting_404),
    ("huddle item", "get", "/api/v1/huddles/{h}/items/{hi}/", None, expect(CLINICAL, 200, 404)),
    ("huddle item patch", "patch", "/api/v1/huddles/{h}/items/{hi}/", "notes", chair_only),
    # {hp}: a person with a PIC referral, so every PIC of the network supports them.
    ("huddle pic item", "get", "/api/v1/huddles/{h}/items/{hp}/", None, expect(MEETING, 200, 404)),
    (
        "huddle social notes",
        "patch",
        "/api/v1/huddles/{h}/items/{hp}/",
        "social",
        expect(MEETING, 200, 404),
    ),
    # The PIC sees this person but records no clinical notes: refused like a clinical member.
    ("huddle pic notes", "patch", "/api/v1/huddles/{h}/items/{hp}/", "notes", chair_of_meeting),
    ("notification read", "post", "/api/v1/notifications/{n}/read/", None, expect(set(ALL), 200)),
    (
        "other's notification",
        "post",
        "/api/v1/notifications/{on}/read/",
        None,
        expect(set(), 0, 404),
    ),
    # Webhooks: the chair for the network, a partner system for itself; another network's
    # subscription is not found, another network named in the body is a 400.
    ("webhooks", "get", "/api/v1/webhooks/", None, expect(WEBHOOKS, 200)),
    ("webhook create", "post", "/api/v1/webhooks/", "webhook", expect(WEBHOOKS, 201)),
    ("webhook create bad", "post", "/api/v1/webhooks/", None, expect(WEBHOOKS, 400)),
    ("foreign webhook create", "post", "/api/v1/webhooks/", "fwebhook", expect(WEBHOOKS, 400)),
    ("webhook deliveries", "get", "/api/v1/webhooks/{wh}/deliveries/", None, chair_webhook(200)),
    ("webhook delete", "delete", "/api/v1/webhooks/{wh}/", None, chair_webhook(204)),
    (
        "foreign webhook deliveries",
        "get",
        "/api/v1/webhooks/{fwh}/deliveries/",
        None,
        expect(WEBHOOKS, 404),
    ),
    (
        "foreign webhook delete",
        "delete",
        "/api/v1/webhooks/{fwh}/",
        None,
        expect(WEBHOOKS, 404),
    ),
    # Subject access (governance): the network's IG lead only; another network 404.
    ("subject access", "post", "/api/v1/subject-access/", "sar", expect(IG, 200)),
    ("foreign subject access", "post", "/api/v1/subject-access/", "fsar", expect(set(), 0, 404)),
]

PAGES = [
    ("home", "get", "/", expect(set(ALL), 302)),
    ("people", "get", "/patients/", expect(RECORDS, 200)),
    ("search", "get", "/patients/?q=ok", expect(RECORDS, 200)),
    ("new person", "get", "/patients/new/", expect(CASEWORK, 200)),
    ("import people", "get", "/patients/import/", expect(CASEWORK, 200)),
    ("check people file", "post", "/patients/import/", expect(CASEWORK, 422)),
    ("person", "get", "/patients/{p}/", expect(CASEWORK, 200)),
    ("person's timeline", "get", "/patients/{p}/timeline/", expect(CASEWORK, 200)),
    ("person summary pdf", "get", "/patients/{p}/summary.pdf", expect(CASEWORK, 200)),
    ("edit person", "get", "/patients/{p}/edit/", expect(CASEWORK, 200)),
    ("consent form", "get", "/patients/{p}/consent/", expect(CASEWORK, 200)),
    ("consent", "post", "/patients/{p}/consent/", expect(CASEWORK, 302)),
    ("foreign consent form", "get", "/patients/{f}/consent/", expect(set(), 0, 404)),
    ("care team add form", "get", "/patients/{p}/care-team/", expect(CASEWORK, 200)),
    ("care team add", "post", "/patients/{p}/care-team/", expect(CASEWORK, 302)),
    (
        "care team remove question",
        "get",
        "/patients/{p}/care-team/{c}/remove/",
        expect(CASEWORK, 200),
    ),
    ("care team remove", "post", "/patients/{p}/care-team/{c}/remove/", expect(CASEWORK, 302)),
    ("foreign care team form", "get", "/patients/{f}/care-team/", expect(set(), 0, 404)),
    ("access log", "get", "/patients/{p}/access-log/", expect(TRAIL, 200)),
    ("add goal form", "get", "/patients/{p}/goals/", expect(CASEWORK, 200)),
    ("add goal", "post", "/patients/{p}/goals/", expect(CASEWORK, 302)),
    ("goal outcome form", "get", "/patients/{p}/goals/{g}/outcome/", expect(CASEWORK, 200)),
    ("goal outcome", "post", "/patients/{p}/goals/{g}/outcome/", expect(CASEWORK, 302)),
    ("foreign add goal form", "get", "/patients/{f}/goals/", expect(set(), 0, 404)),
    ("frailty form", "get", "/patients/{p}/frailty/", expect(CLINICAL, 200)),
    ("break glass form", "get", "/patients/{p}/break-glass/", expect(CLINICAL, 200)),
    ("break glass", "post", "/patients/{p}/break-glass/", expect(CLINICAL, 302)),
    ("foreign break glass", "post", "/patients/{f}/break-glass/", expect(set(), 0, 404)),
    ("record frailty", "post", "/patients/{p}/frailty/", expect(CLINICAL, 302)),
    ("foreign record frailty", "post", "/patients/{f}/frailty/", expect(set(), 0, 404)),
    ("foreign frailty form", "get", "/patients/{f}/frailty/", expect(set(), 0, 404)),
    ("care plan form", "get", "/care-plans/patients/{p}/edit/", expect(CLINICAL, 200)),
    ("care plan save", "post", "/care-plans/patients/{p}/edit/", expect(CLINICAL, 302)),
    ("foreign care plan form", "get", "/care-plans/patients/{f}/edit/", expect(set(), 0, 404)),
    ("network access log", "get", "/audit/", expect(TRAIL, 200)),
    ("access trail filtered", "get", "/audit/?refused=true", expect(TRAIL, 200)),
    ("access trail export", "get", "/audit/export.csv", expect(TRAIL, 200)),
    ("foreign access trail", "get", "/audit/?network=purbeck", expect(set(), 0, 404)),
    ("break-glass reviews", "get", "/audit/break-glass/", expect(IG, 200)),
    ("break-glass review", "post", "/audit/break-glass/{bg}/review/", expect(IG, 302)),
    ("foreign break-glass review", "post", "/audit/break-glass/{fbg}/review/", expect(IG, 404)),
    ("foreign person", "get", "/patients/{f}/", expect(set(), 0, 404)),
    ("foreign timeline", "get", "/patients/{f}/timeline/", expect(set(), 0, 404)),
    ("foreign summary pdf", "get", "/patients/{f}/summary.pdf", expect(set(), 0, 404)),
    ("foreign edit", "get", "/patients/{f}/edit/", expect(set(), 0, 404)),
    ("foreign access log", "get", "/patients/{f}/access-log/", expect(set(), 0, 404)),
    ("referrals inbox", "get", "/referrals/inbox/", _inbox_home),
    ("service inbox", "get", "/referrals/inbox/medicines_optimisation/", expect(MEDICINES, 200)),
    ("accept", "post", "/referrals/{r}/accept/", expect(MEDICINES, 302)),
    ("decline", "post", "/referrals/{r}/decline/", expect(MEDICINES, 302)),
    ("criteria", "get", "/referrals/criteria/?service=pic", expect(RECORDS, 200)),
    ("refer form", "get", "/referrals/patients/{p}/refer/", expect(CASEWORK, 200)),
    ("refer", "post", "/referrals/patients/{p}/refer/", expect(CASEWORK, 302)),
    ("raise flag", "post", "/referrals/patients/{p}/flags/", expect(CASEWORK, 302)),
    ("resolve flag", "post", "/referrals/flags/{fl}/resolve/", expect(CASEWORK, 302)),
    ("foreign accept", "post", "/referrals/{fr}/accept/", expect(set(), 0, 404)),
    ("complete form", "get", "/referrals/{ra}/complete/", expect(SOCIAL, 200)),
    ("complete", "post", "/referrals/{ra}/complete/", expect(SOCIAL, 302)),
    ("foreign complete", "post", "/referrals/{fr}/complete/", expect(set(), 0, 404)),
    # {r} was made by nurse.on.team: no role's fresh member is its referrer.
    ("withdraw", "post", "/referrals/{r}/withdraw/", expect(set(), 0, 403)),
    ("foreign withdraw", "post", "/referrals/{fr}/withdraw/", expect(set(), 0, 404)),
    ("add reason", "post", "/referrals/{r}/add-reason/", expect(CLINICAL, 302)),
    ("foreign add reason", "post", "/referrals/{fr}/add-reason/", expect(set(), 0, 404)),
    ("caseload", "get", "/referrals/caseload/social_services/", expect(SOCIAL | ADMIT, 200)),
    # The network's services page: the chair and the integrated manager only.
    ("services", "get", "/referrals/services/", expect(ADMIT, 200)),
    ("service add form", "get", "/referrals/services/add/", expect(ADMIT, 200)),
    ("service add", "post", "/referrals/services/add/", expect(ADMIT, 302)),
    ("service edit form", "get", "/referrals/services/mdt/edit/", expect(ADMIT, 200)),
    ("service edit", "post", "/referrals/services/mdt/edit/", expect(ADMIT, 302)),
    ("foreign refer form", "get", "/referrals/patients/{f}/refer/", expect(set(), 0, 404)),
    ("foreign raise flag", "post", "/referrals/patients/{f}/flags/", expect(set(), 0, 404)),
    ("foreign resolve flag", "post", "/referrals/flags/{ffl}/resolve/", expect(set(), 0, 404)),
    # Visits and medicines: clinical roles only (not the PIC, managers or partner systems).
    ("my day", "get", "/medicines/my-day/", expect(CLINICAL, 200)),
    ("visit form", "get", "/medicines/patients/{p}/visit/", expect(CLINICAL, 200)),
    ("log visit", "post", "/medicines/patients/{p}/visit/", expect(CLINICAL, 302)),
    ("news2 preview", "get", "/medicines/visit/news2/?pulse=80", expect(CLINICAL, 200)),
    (
        "visit recommendation",
        "get",
        "/medicines/visit/recommendation/?infection_risk=on",
        expect(CLINICAL, 200),
    ),
    ("medicine form", "get", "/medicines/patients/{p}/medicines/new/", expect(CLINICAL, 200)),
    ("add medicine", "post", "/medicines/patients/{p}/medicines/new/", expect(CLINICAL, 302)),
    ("dm+d search page", "get", "/medicines/dmd-search/?q=amlo", expect(CLINICAL, 200)),
    ("gp list form", "get", "/medicines/patients/{p}/gp-list/", expect(CLINICAL, 200)),
    # No file, no decision: a member who may is asked for it (422); others are refused first.
    ("gp list upload", "post", "/medicines/patients/{p}/gp-list/", expect(CLINICAL, 422)),
    ("gp list reconcile", "get", "/medicines/patients/{p}/gp-list/{gi}/", expect(CLINICAL, 200)),
    (
        "gp list decide",
        "post",
        "/medicines/patients/{p}/gp-list/{gi}/lines/{gl}/",
        expect(CLINICAL, 422),
    ),
    (
        "foreign gp list reconcile",
        "get",
        "/medicines/patients/{f}/gp-list/{fgi}/",
        expect(set(), 0, 404),
    ),
    ("review form", "get", "/medicines/patients/{p}/reviews/new/", expect(CLINICAL, 200)),
    ("record review", "post", "/medicines/patients/{p}/reviews/new/", expect(CLINICAL, 302)),
    ("dispensing", "get", "/medicines/patients/{p}/dispensing/", expect(CLINICAL, 200)),
    ("add dispensing", "post", "/medicines/patients/{p}/dispensing/", expect(CLINICAL, 200)),
    # A visit's NEWS2 escalation: acknowledged by clinical roles (nothing to acknowledge: 302).
    (
        "news2 acknowledge",
        "post",
        "/medicines/patients/{p}/visits/{v}/news2-acknowledge/",
        expect(CLINICAL, 302),
    ),
    (
        "foreign news2 acknowledge",
        "post",
        "/medicines/patients/{f}/visits/{fv}/news2-acknowledge/",
        expect(set(), 0, 404),
    ),
    # Breaking the glass on a restricted visit or the clinical notes: roles that read clinical
    # detail; restricting a visit: its author (the world's nurse) or the chair; the notes (not
    # restricted yet): clinical roles.
    ("visit glass form", "get", VISIT + "break-glass/", expect(CLINICAL, 200)),
    ("visit break-glass", "post", VISIT + "break-glass/", expect(CLINICAL, 302)),
    ("foreign visit glass", "post", FOREIGN_VISIT + "break-glass/", expect(set(), 0, 404)),
    ("visit restrict form", "get", VISIT + "restrict/", expect(CHAIR, 200)),
    ("visit restrict", "post", VISIT + "restrict/", expect(CHAIR, 302)),
    ("foreign visit restrict", "post", FOREIGN_VISIT + "restrict/", expect(set(), 0, 404)),
    ("notes glass form", "get", NOTES + "break-glass/", expect(CLINICAL, 200)),
    ("notes break-glass", "post", NOTES + "break-glass/", expect(CLINICAL, 302)),
    ("notes restrict", "post", NOTES + "restrict/", expect(CLINICAL, 302)),
    ("foreign glass", "get", "/patients/{f}/clinical-notes/break-glass/", expect(set(), 0, 404)),
    ("item glass form", "get", ITEM + "break-glass/", clinical_pic_404),
    ("item break-glass", "post", ITEM + "break-glass/", clinical_pic_302),
    ("item restrict", "post", ITEM + "restrict/", chair_restricts),
    ("foreign item glass", "get", "/meetings/{fh}/items/{fi}/break-glass/", expect(set(), 0, 404)),
    # Care-home residents allocated to named staff: the medicines lead or the chair (the
    # world's person lives at home and no member is chosen: 422, nothing saved).
    ("allocate resident", "post", "/medicines/patients/{p}/allocate/", expect(ALLOCATE, 422)),
    (
        "foreign allocate resident",
        "post",
        "/medicines/patients/{f}/allocate/",
        expect(ALLOCATE, 404),
    ),
    ("foreign visit form", "get", "/medicines/patients/{f}/visit/", expect(set(), 0, 404)),
    ("foreign log visit", "post", "/medicines/patients/{f}/visit/", expect(set(), 0, 404)),
    ("foreign dispensing", "get", "/medicines/patients/{f}/dispensing/", expect(set(), 0, 404)),
    # Meetings (huddles / virtual wards): clinical roles and the PIC (the people they support)
    # view; only the chair runs them; anyone who sees a person adds social notes.
    ("meetings", "get", "/meetings/", expect(MEETING, 200)),
    ("extra meeting", "post", "/meetings/new/", expect(CHAIR, 422)),
    ("agenda", "get", "/meetings/{h}/", expect(MEETING, 200)),
    ("meeting move", "post", "/meetings/{h}/move/", expect(CHAIR, 302)),
    ("meeting cancel", "post", "/meetings/{h}/cancel/", expect(CHAIR, 302)),
    ("agenda add", "post", "/meetings/{h}/agenda/", expect(CHAIR, 422)),
    ("agenda build", "post", "/meetings/{h}/agenda/build/", expect(CHAIR, 302)),
    ("agenda remove", "post", "/meetings/{h}/items/{i}/remove/", expect(CHAIR, 302)),
    ("agenda reorder", "post", "/meetings/{h}/items/{i}/reorder/", expect(CHAIR, 302)),
    ("meeting mode", "get", "/meetings/{h}/run/", expect(MEETING, 302)),
    ("meeting mode item", "get", "/meetings/{h}/run/{i}/", clinical_pic_404),
    ("meeting mode pic item", "get", "/meetings/{h}/run/{hp}/", expect(MEETING, 200)),
    ("item social notes", "post", "/meetings/{h}/items/{hp}/social-notes/", expect(MEETING, 302)),
    ("unsupported social notes", "post", "/meetings/{h}/items/{i}/social-notes/", clinical_pic_302),
    ("item notes", "post", "/meetings/{h}/items/{i}/notes/", expect(CHAIR, 302)),
    ("item decision", "post", "/meetings/{h}/items/{i}/decision/", expect(CHAIR, 302)),
    ("item action", "post", "/meetings/{h}/items/{i}/actions/", expect(CHAIR, 302)),
    ("attendance", "post", "/meetings/{h}/attendance/", expect(CHAIR, 302)),
    ("meeting close", "post", "/meetings/{h}/close/", expect(CHAIR, 302)),  # not started: refused
    ("meeting close confirm", "get", "/meetings/{h}/close/", expect(CHAIR, 200)),
    ("foreign meeting close", "get", "/meetings/{fh}/close/", expect(set(), 0, 404)),
    ("guest add", "post", "/meetings/{h}/guests/", expect(CHAIR, 302)),
    ("guest remove", "post", "/meetings/{h}/guests/{gu}/remove/", expect(CHAIR, 302)),
    ("minutes", "get", "/meetings/{h}/minutes/", expect(MEETING, 200)),
    ("minutes pdf", "get", "/meetings/{h}/minutes.pdf", expect(MEETING, 200)),
    ("foreign minutes pdf", "get", "/meetings/{fh}/minutes.pdf", expect(set(), 0, 404)),
    ("foreign agenda", "get", "/meetings/{fh}/", expect(set(), 0, 404)),
    ("foreign meeting mode", "get", "/meetings/{fh}/run/{fi}/", expect(set(), 0, 404)),
    ("foreign notes", "post", "/meetings/{fh}/items/{fi}/notes/", expect(set(), 0, 404)),
    ("foreign social", "post", "/meetings/{fh}/items/{fi}/social-notes/", expect(set(), 0, 404)),
    ("foreign minutes", "get", "/meetings/{fh}/minutes/", expect(set(), 0, 404)),
    # My work and cover: roles that do casework. The task {t} is in the gp queue.
    ("my work", "get", "/my-work/", expect(CASEWORK, 200)),
    ("my work done", "post", "/my-work/tasks/{t}/done/", expect(CLINICAL, 302)),
    ("my work claim", "post", "/my-work/tasks/{t}/claim/", expect({"gp"}, 302)),
    # A task's page, edit and reassign: clinical roles (the PIC only its own; {t} is not).
    ("task page", "get", "/my-work/tasks/{t}/", expect(CLINICAL, 200)),
    ("task edit form", "get", "/my-work/tasks/{t}/edit/", expect(CLINICAL, 200)),
    ("task edit", "post", "/my-work/tasks/{t}/edit/", expect(CLINICAL, 422)),  # no data: 422
    ("task new form", "get", "/my-work/tasks/new/?patient={p}", expect(CASEWORK, 200)),
    ("task new blank form", "get", "/my-work/tasks/new/", expect(CASEWORK, 200)),
    ("task new", "post", "/my-work/tasks/new/", expect(CASEWORK, 422)),  # no data: 422
    ("foreign task page", "get", "/my-work/tasks/{ft}/", expect(set(), 0, 404)),
    ("foreign task edit", "post", "/my-work/tasks/{ft}/edit/", expect(set(), 0, 404)),
    ("foreign task new", "get", "/my-work/tasks/new/?patient={f}", expect(CASEWORK, 404)),
    ("cover set", "post", "/my-work/away/", expect(CASEWORK, 422)),  # no dates: 422
    # Another member's cover: only the chair and the integrated manager may end it.
    ("cover end", "post", "/my-work/away/{cv}/end/", expect({"chair", "integrated_manager"}, 302)),
    ("foreign my work done", "post", "/my-work/tasks/{ft}/done/", expect(set(), 0, 404)),
    ("foreign my work claim", "post", "/my-work/tasks/{ft}/claim/", expect(set(), 0, 404)),
    ("foreign cover end", "post", "/my-work/away/{fcv}/end/", expect(set(), 0, 404)),
    # The dashboard: chair, integrated manager, manager; the people behind a number only for
    # the roles that may open records.
    ("dashboard", "get", "/reports/", expect(REPORTS, 200)),
    ("networks side by side", "get", "/reports/networks/", _COMPARE),
    ("case finding", "get", "/reports/case-finding/", expect(CLINICAL, 200)),
    ("case finding add", "post", "/reports/case-finding/{p}/add/", expect(CHAIR, 302)),
    ("report people", "get", "/reports/people/?metric=caseload", expect(ADMIT, 200)),
    ("report export", "get", "/reports/export/referrals.csv", expect(REPORTS, 200)),
    (
        "report people export",
        "get",
        "/reports/export/people.csv?metric=caseload",
        expect(ADMIT, 200),
    ),
    # Another network: 404 for those who report; the others are refused first.
    ("foreign dashboard", "get", "/reports/?network=purbeck", expect(REPORTS, 404)),
    # Hospital admissions: the chair and integrated manager (they show people).
    ("admissions", "get", "/reports/admissions/", expect(ADMIT, 200)),
    ("record admission", "post", "/reports/admissions/", expect(ADMIT, 422)),  # no data
    ("check admissions file", "post", "/reports/admissions/check/", expect(ADMIT, 422)),
    ("admission import", "get", "/reports/admissions/imports/{ai}/", expect(ADMIT, 200)),
    (
        "import admissions",
        "post",
        "/reports/admissions/imports/{ai}/import/",
        expect(ADMIT, 302),
    ),
    (
        "discard admissions",
        "post",
        "/reports/admissions/imports/{ai}/discard/",
        expect(ADMIT, 302),
    ),
    (
        "foreign admission import",
        "get",
        "/reports/admissions/imports/{fai}/",
        expect(set(), 0, 404),
    ),
    # Notifications: everyone's own (a partner system's account too: its referral outcomes).
    ("notifications", "get", "/notifications/", expect(set(ALL), 200)),
    ("bell", "get", "/notifications/bell/", expect(set(ALL), 200)),
    ("notification settings", "get", "/notifications/settings/", expect(set(ALL), 200)),
    ("notifications read all", "post", "/notifications/read-all/", expect(set(ALL), 302)),
    ("someone else's notification", "post", "/notifications/{on}/read/", expect(set(), 0, 404)),
    # Subject access and retention (governance): the network's IG lead only.
    ("subject access form", "get", "/governance/subject-access/", expect(IG, 200)),
    ("subject access ask", "post", "/governance/subject-access/", expect(IG, 302)),
    ("subject access result", "get", "/governance/subject-access/{sar}/", expect(IG, 200)),
    ("subject access json", "get", "/governance/subject-access/{sar}/bundle.json", expect(IG, 200)),
    ("subject access pdf", "get", "/governance/subject-access/{sar}/bundle.pdf", expect(IG, 200)),
    ("foreign subject access", "get", "/governance/subject-access/{fsar}/", expect(set(), 0, 404)),
    ("retention review", "get", "/governance/retention/", expect(IG, 200)),
    ("foreign retention", "get", "/governance/retention/?network=purbeck", expect(set(), 0, 404)),
    ("erase question", "get", "/governance/retention/{old}/erase/", expect(IG, 200)),
    ("erase", "post", "/governance/retention/{old}/erase/", expect(IG, 302)),
    ("foreign erase", "post", "/governance/retention/{f}/erase/", expect(set(), 0, 404)),
    # Webhooks: the network's chair (a partner system manages its own through the API).
    ("webhooks page", "get", "/webhooks/", expect(CHAIR, 200)),
    ("webhook add", "post", "/webhooks/", expect(CHAIR, 200)),
    ("webhook remove", "post", "/webhooks/{wh}/remove/", expect(CHAIR, 302)),
    ("foreign webhook remove", "post", "/webhooks/{fwh}/remove/", expect(CHAIR, 404)),
]


# Form data for the page POSTs above that need it.
@pytest.fixture(scope="module")
def _built(django_db_setup, django_db_blocker):
    """The networks, people and `world` objects, made once for the module (in a transaction
    rolled back at its end) rather than once for each of its ~1,800 tests: each test runs in
    a savepoint inside it, so what one test writes is gone before the next."""
    from django.db import transaction

    from .access_world import build_networks_and_world

    with django_db_blocker.unblock(), transaction.atomic():
        built = build_networks_and_world()
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def network(_built, db):
    return _built["network"]


@pytest.fixture
def other_network(_built, db):
    return _built["other_network"]


@pytest.fixture
def patient(_built, db):
    return _built["patient"]


@pytest.fixture
def foreign_patient(_built, db):
    return _built["foreign_patient"]


@pytest.fixture
def world(_built, db):
    return dict(_built["world"])  # a copy: tests set their own "n"


def involved(user, patient):
    """The matrix asks what each role may do, so each clinical member is involved in the
    person's care (their key worker); tests/test_access_involvement.py asks the same of one
    who is not."""
    from networks.models import Membership
    from patients.models import Patient

    membership = Membership.objects.get(user=user)
    if membership.role in CLINICAL:
        Patient.objects.filter(pk=patient.pk).update(key_worker=membership)
    return user


@pytest.mark.parametrize("role", ALL)
@pytest.mark.parametrize(
    ("name", "method", "url", "body", "expected"), API, ids=[a[0] for a in API]
)
def test_api_matrix(api, member, world, patient, role, name, method, url, body, expected):
    user = involved(member(role), patient)
    world["n"] = notification_send(recipient=user, occurrence=f"n-{role}", kind="t", title="t").pk
    payload = {
        None: None,
        "patient": _patient_body(ALL.index(role)),
        "phone": {"phone": "020 7946 0999"},
        "task": _task_body(patient),
        "task_title": {"title": f"Call back ({role})"},
        "referral": {"patient": patient.pk, "service": "physiotherapy", "reason": "Unsteady"},
        "decline": {"reason": "already_known", "note": "On our list"},
        "outcome": {"outcome": "Care package started"},
        "visit": {"patient": patient.pk, "kind": "phone", "visited_at": timezone.now().isoformat()},
        "medication": {
            "patient": patient.pk,
            "name": "Amlodipine",
            "dose_amount": "1",
            "frequency": "once_daily",
        },
        "supply": {
            "patient": patient.pk,
            "medicine": "Amlodipine",
            "dispensed_on": timezone.localdate().isoformat(),
            "quantity": "28",
        },
        "gp_list": world["gp_list_body"],  # a GP list about the person
        "review": {
            "patient": patient.pk,
            "reviewed_on": timezone.localdate().isoformat(),
            "outcome": "no_change",
        },
        "notes": {"notes": "Discussed"},
        "glass": {"reason_code": "vital_interests", "reason": "Collapsed"},
        "bg_review": {"review_outcome": "appropriate"},
        "social": {"social_notes": f"Goes to the lunch club ({role})"},
        "frailty": {"scale": "cfs", "score": 5, "assessed_on": timezone.localdate().isoformat()},
        "webhook": {
            "url": "http://127.0.0.1:9/hooks",
            "events": ["referral.created"],
            "network": "thornton-heath",
        },
        "fwebhook": {
            "url": "http://127.0.0.1:9/hooks",
            "events": ["referral.created"],
            "network": "purbeck",
        },
        "sar": {"network": "thornton-heath", "nhs_number": OLD_NHS, "reference": "Letter"},
        "fsar": {"network": "purbeck", "nhs_number": OLD_NHS, "reference": "Letter"},
        "care_plan": {
            "version": 0,
            "review_on": SOON,
            "needs": [{"domain": "home", "description": "Stairs"}],
            "interventions": [{"description": "Fit a rail", "owner_role": "gp", "due_on": SOON}],
        },
    }[body]
    response = getattr(api(user), method)(url.format(**world), payload, format="json")
    assert response.status_code == expected(role), (role, name, response.content[:300])


@pytest.mark.parametrize("role", ALL)
@pytest.mark.parametrize(("name", "method", "url", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_page_matrix(client, member, world, patient, role, name, method, url, expected):
    user = involved(member(role), patient)
    client.force_login(user)
    data = PAGE_DATA.get(name)
    if name == "care team add":
        from networks.models import Membership

        data = {"membership": Membership.objects.get(user=user).pk, "involvement": "Visits"}
    response = getattr(client, method)(url.format(**world), data)
    assert response.status_code == expected(role), (role, name)


@pytest.mark.parametrize(
    ("name", "method", "url", "body", "expected"), API, ids=[a[0] for a in API]
)
def test_api_anonymous_is_401(api, world, name, method, url, body, expected):
    response = getattr(api(), method)(url.format(**world), {}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize(("name", "method", "url", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_anonymous_go_to_login(client, world, name, method, url, expected):
    response = getattr(client, method)(url.format(**world))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_deactivated_member_loses_page_access_at_once(client, member, world):
    from networks.models import Membership
    from networks.services import membership_deactivate

    user = member("pharmacist")
    client.force_login(user)
    assert client.get(f"/patients/{world['p']}/").status_code == 200
    membership_deactivate(membership=Membership.objects.get(user=user), by=None)
    assert client.get(f"/patients/{world['p']}/").status_code == 403
    assert client.get("/patients/").status_code == 403


def test_every_api_and_page_url_is_in_the_matrix():
    """A new URL must be added to the matrix above (and so get tested for every role)."""
    from tests.test_access_meta import all_url_patterns

    covered = {u for _, _, u, *_ in API} | {u for _, _, u, _ in PAGES}
    normalised = {
        re.sub(
            r"\{(p|f|t|ft|n|on|r|ra|fr|v|fv|m|h|hi|fh|cv|fcv|ai|fai|sar|fsar|old|bg|fbg|wh|fwh|gi|fgi)\}",
            "<pk>",
            re.sub(r"(/patients/\{[pf]\}/visits/)\{f?v\}/", r"\1<visit_id>/", c).replace(
                "/huddles/{h}/items/", "/huddles/<meeting_pk>/items/"
            ),
        )
        .replace("/gp-list/<pk>/", "/gp-list/<import_id>/")
        .replace("{gl}", "<line_id>")
        .replace("{c}", "<member_id>")
        .replace("{g}", "<goal_id>")
        .replace("{gu}", "<guest_id>")
        .replace("{fl}", "<flag_id>")
        .replace("{ffl}", "<flag_id>")
        .replace("{fi}", "<item_id>")
        .replace("{hp}", "<item_id>")
        .replace("{i}", "<item_id>")
        .replace("/inbox/medicines_optimisation/", "/inbox/<service>/")
        .replace("/caseload/social_services/", "/caseload/<service>/")
        .replace("/services/mdt/edit/", "/services/<code>/edit/")
        .replace("/thornton-heath/", "/<slug>/")
        .replace("/purbeck/", "/<slug>/")
        .replace("/export/referrals.csv", "/export/<table>.csv")
        .replace("/export/people.csv", "/export/<table>.csv")
        .split("?")[0]
        for c in covered
    }
    missing = []
    for route, _callback in all_url_patterns():
        if route.startswith(
            (
                "/admin/",
                "/accounts/",
                "/healthz",
                "/api/v1/schema",
                "/api/v1/docs",
                "/api/v1/auth/",
                # FHIR: every role in tests/interop (test_intake_access.py for POST /fhir/R4/,
                # test_trail_meta.py and test_kernel.py for reads).
                "/fhir/",
                "/network/switch/",
                "/static/",
                # FHIR: every registered type for every role in tests/interop/
                # (test_trail_meta.py walks the registry; each type's module its roles).
                "/fhir/",
            )
        ):
            continue
        if route not in normalised:
            missing.append(route)
    assert missing == [], f"URLs not in the access matrix: {missing}"
