"""Every URL (API and pages) for every role: the access matrix of issue #2, asserted.

CASEWORK roles open people's records; `pic` too but without clinical fields (tested in
tests/patients); `care_home_staff` only the residents of their own care home (none here, so
403 but for the lists); `manager` reads reports and the access trail, not records; `ig_lead`
reads the access trail only; `commissioner` reads the figures of the networks they are given and
compares them, never a record. Chair, managers and the IG lead see who looked at a record.
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
from .access_rules import ALL, CLINICAL, OLD_NHS, SOON, _patient_body, _task_body
from .access_table import API, PAGES


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
            r"\{(p|f|t|ft|n|on|r|ra|fr|v|fv|m|h|hi|fh|cv|fcv|ai|fai|sar|fsar|old|bg|fbg|wh|fwh|gi|fgi|mr|fmr)\}",
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
