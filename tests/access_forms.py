"""What the access matrix (tests/test_access_matrix.py) posts to each page it tries, by the
row's name: a valid form, so that a role that may use the page gets past the form's own
checks and the matrix tests who may, not what."""

from datetime import timedelta

from django.utils import timezone

from .access_rules import OLD_NHS, SOON

PAGE_DATA = {
    "webhook add": {"url": "http://127.0.0.1:9/hooks", "events": ["task.done"]},
    "visit break-glass": {"reason_code": "safeguarding", "reason": "Concern raised"},
    "notes break-glass": {"reason_code": "consent", "reason": "She asked"},
    "break-glass review": {"review_outcome": "appropriate"},
    "foreign break-glass review": {"review_outcome": "appropriate"},
    "visit restrict": {"restricted": "on", "restricted_reason": "Safeguarding"},
    "notes restrict": {"restricted": "on", "restricted_reason": "Her wish"},
    "item break-glass": {"reason_code": "legal", "reason": "Court order"},
    "item restrict": {"restricted": "on", "restricted_reason": "Safeguarding"},
    "break glass": {"reason_code": "consent", "reason": "She asked me to look"},
    "foreign break glass": {"reason_code": "consent", "reason": "She asked me to look"},
    "add goal": {"description": "Walk to the shops"},
    "goal outcome": {"outcome": "met"},
    "record frailty": {"scale": "efi", "score": "0.2", "assessed_on": "2025-01-02"},
    "consent": {"consent_mdt": "given", "consent_sharing": "given"},
    "decline": {"reason": "already_known", "note": "Seen last week."},
    "refer": {"service": "gp", "reason": "Memory worse", "urgency": "routine"},
    "raise flag": {"flag": "loneliness", "note": "Sees no one"},
    "resolve flag": {"resolution": "Heating mended"},
    "log visit": {
        "kind": "home",
        "visited_at": (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT10:30"),
        "pulse": "80",
    },
    "add medicine": {
        "name": "Ramipril",
        "form": "capsule",
        "dose_amount": "1",
        "dose_unit": "capsule",
        "frequency": "once_daily",
        "route": "oral",
    },
    "record review": {"reviewed_on": "2025-01-06", "outcome": "no_change"},
    "add dispensing": {
        "form": "manual",
        "medicine": "Ramipril",
        "dispensed_on": "2025-01-06",
        "quantity": "28",
    },
    "meeting move": {"starts_at": f"{SOON}T14:00"},
    "meeting cancel": {"reason": "Bank holiday"},
    "complete": {"outcome": "Care package started"},
    "service add": {
        "code": "mental_health_pharmacy",
        "label": "Mental health pharmacy clinic",
        "serving_roles": ["pharmacist"],
        "active": "on",
    },
    "service edit": {"label": "MDT", "serving_roles": ["chair"], "active": "on"},
    "add reason": {"reason": "Also struggling with stairs"},
    "agenda reorder": {"direction": "down"},
    "item notes": {"notes": "Seen by the GP", "version": 1},
    "item social notes": {"social_notes": "Goes to the lunch club", "social_version": 1},
    "unsupported social notes": {"social_notes": "Goes to the lunch club", "social_version": 1},
    "item decision": {"decision": "continue", "next_review_on": SOON, "version": 1},
    "item action": {"title": "Call the daughter", "assignee": "role:gp", "due_on": SOON},
    "attendance": {"present": []},
    "guest add": {"name": "Joan Okafor", "role": "Daughter"},
    "care plan save": {
        "plan-version": "0",
        "plan-review_on": SOON,
        "needs-TOTAL_FORMS": "1",
        "needs-INITIAL_FORMS": "0",
        "needs-0-domain": "home",
        "needs-0-description": "Stairs",
        "interventions-TOTAL_FORMS": "1",
        "interventions-INITIAL_FORMS": "0",
        "interventions-0-description": "Fit a rail",
        "interventions-0-owner": "role:occupational_therapist",
        "interventions-0-due_on": SOON,
    },
    "subject access ask": {"nhs_number": OLD_NHS, "reference": "Letter of 3 March"},
    "erase": {"reason": "Past retention, reviewed", "confirm": "on"},
}
