"""The access matrix's vocabulary: which roles may do what (sets of role codes) and what each
role gets back (functions of the role), shared by tests/test_access_matrix.py and the
involvement matrix."""

import datetime

from core.nhs_number import synthetic
from networks.roles import (
    CASEWORK_ROLES,
    CLINICAL_ROLES,
    DEFAULT_SERVING_ROLES,
    OVERSIGHT_ROLES,
    REPORT_ROLES,
    TRAIL_ROLES,
    Role,
)

ALL = [r.value for r in Role]
CASEWORK = {r.value for r in CASEWORK_ROLES}
# Care home staff list people too, the residents of their own care home only (the matrix's
# people live in none: tests/patients/test_care_home_staff.py opens a resident's record).
RECORDS = CASEWORK | {"care_home_staff"}
OVERSIGHT = {r.value for r in OVERSIGHT_ROLES}
REPORTS = {r.value for r in REPORT_ROLES}  # who reads a network's reports: oversight, commissioners
TRAIL = {r.value for r in TRAIL_ROLES}  # the access trail: oversight and the IG lead
CLINICAL = {r.value for r in CLINICAL_ROLES}
# Roles that serve at least one service by default (the chair serves them all).
SERVING = {Role.CHAIR.value} | {r.value for roles in DEFAULT_SERVING_ROLES.values() for r in roles}
REFERRERS = CASEWORK | {"partner_system"}
MEDICINES = {"chair", "pharmacist", "pharmacy_technician"}  # who triages medicines optimisation
SOCIAL = {"chair", "social_worker"}  # who triages social services
CHAIR = {"chair"}  # who runs the huddle / virtual ward
# Who takes part in meetings: clinical roles, and the PIC (only the people they support).
MEETING = CLINICAL | {"pic"}
ADMIT = {"chair", "integrated_manager"}  # who records hospital admissions
ALLOCATE = {"chair", "pharmacist"}  # who allocates care-home residents to named staff
VISIT, FOREIGN_VISIT = "/medicines/patients/{p}/visits/{v}/", "/medicines/patients/{f}/visits/{fv}/"
NOTES = "/patients/{p}/clinical-notes/"  # the person's clinical notes, restricted or not
ITEM = "/meetings/{h}/items/{i}/"  # a person on a meeting's agenda
SOON = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
# Who manages webhooks: the chair (the network's), a partner system (its own).
WEBHOOKS = {"chair", "partner_system"}
IG = {"ig_lead"}  # reviews break-glass; subject access and retention
OLD_NHS = synthetic(900)  # the world's person past retention (tests/access_world.py)


def clinical_404(role):
    """Another network's object: 404 for clinical roles; other roles are refused first."""
    return 404 if role in CLINICAL else 403


def meeting_404(role):
    """Another network's meeting: 404 for those who take part in meetings here."""
    return 404 if role in MEETING else 403


def clinical_pic_404(role):
    """An item of a person the PIC does not support: 404 for the PIC (hidden, as another
    network's); refused for roles that take no part in meetings."""
    return 200 if role in CLINICAL else 404 if role == "pic" else 403


def clinical_pic_302(role):
    """A write about a person the PIC does not support: done by clinical roles (302), 404 for
    the PIC, refused for roles that take no part in meetings."""
    return 302 if role in CLINICAL else 404 if role == "pic" else 403


def chair_of_meeting(role):
    """The chair writes; others who see the item are refused; the rest do not find it."""
    if role == "chair":
        return 200
    return 403 if role in MEETING else 404


def chair_restricts(role):
    """The chair restricts a person's discussion notes (302); the PIC does not find the item."""
    return 302 if role == "chair" else 404 if role == "pic" else 403


def chair_only(role):
    if role == "chair":
        return 200
    return 403 if role in CLINICAL else 404


def chair_webhook(ok: int):
    """The network's subscription (not the partner's own): the chair; not found by a partner
    system; refused to the rest."""
    return lambda role: ok if role == "chair" else 404 if role == "partner_system" else 403


def expect(allowed: set[str], ok: int, refused: int = 403):
    return lambda role: ok if role in allowed else refused


def _task_body(patient):
    due = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    return {"patient": patient.pk, "title": "Call", "assignee_role": "gp", "due_on": due}


def _inbox_home(role: str) -> int:
    """To the first service served (302); a casework role serving none is told so (200)."""
    if role in SERVING:
        return 302
    return 200 if role in CASEWORK else 403


def _patient_body(n):
    from core.nhs_number import synthetic

    return {
        "nhs_number": synthetic(500 + n),
        "given_name": "A",
        "family_name": "B",
        "date_of_birth": "1940-01-01",
        "network": "thornton-heath",
    }
