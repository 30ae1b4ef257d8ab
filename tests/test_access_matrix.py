"""Every URL (API and pages) for every role: the access matrix of issue #2, asserted.

CASEWORK roles open people's records; `pic` too but without clinical fields (tested in
tests/patients); `manager` reads reports and the access trail, not records. Chair and
managers see who looked at a record. Anything in another network is 404 for everyone.
"""

import datetime
import re

import pytest

from networks.roles import CASEWORK_ROLES, OVERSIGHT_ROLES, Role
from notifications.services import notification_send
from tests.factories import ActionFactory

pytestmark = pytest.mark.django_db

ALL = [r.value for r in Role]
CASEWORK = {r.value for r in CASEWORK_ROLES}
OVERSIGHT = {r.value for r in OVERSIGHT_ROLES}


def expect(allowed: set[str], ok: int, refused: int = 403):
    return lambda role: ok if role in allowed else refused


def _task_body(patient):
    due = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    return {"patient": patient.pk, "title": "Call", "assignee_role": "gp", "due_on": due}


def _patient_body(n):
    from patients.nhs_number import synthetic

    return {
        "nhs_number": synthetic(500 + n),
        "given_name": "A",
        "family_name": "B",
        "date_of_birth": "1940-01-01",
        "network": "thornton-heath",
    }


# (name, method, url template, body factory, expected status by role)
API = [
    ("me", "get", "/api/v1/me/", None, expect(set(ALL), 200)),
    ("networks", "get", "/api/v1/networks/", None, expect(set(ALL), 200)),
    ("network", "get", "/api/v1/networks/thornton-heath/", None, expect(set(ALL), 200)),
    ("foreign network", "get", "/api/v1/networks/purbeck/", None, expect(set(), 0, 404)),
    ("patients", "get", "/api/v1/patients/", None, expect(CASEWORK, 200)),
    ("patient create", "post", "/api/v1/patients/", "patient", expect(CASEWORK, 201)),
    ("patient", "get", "/api/v1/patients/{p}/", None, expect(CASEWORK, 200)),
    ("patient patch", "patch", "/api/v1/patients/{p}/", "phone", expect(CASEWORK, 200)),
    ("foreign patient", "get", "/api/v1/patients/{f}/", None, expect(set(), 0, 404)),
    ("foreign patch", "patch", "/api/v1/patients/{f}/", "phone", expect(set(), 0, 404)),
    ("access log", "get", "/api/v1/patients/{p}/access-log/", None, expect(OVERSIGHT, 200)),
    ("foreign access log", "get", "/api/v1/patients/{f}/access-log/", None, expect(set(), 0, 404)),
    ("tasks", "get", "/api/v1/tasks/", None, expect(set(ALL), 200)),
    ("task create", "post", "/api/v1/tasks/", "task", expect(CASEWORK, 201)),
    ("task", "get", "/api/v1/tasks/{t}/", None, expect(CASEWORK, 200)),
    ("task done", "post", "/api/v1/tasks/{t}/done/", None, expect(CASEWORK, 200)),
    ("foreign task", "get", "/api/v1/tasks/{ft}/", None, expect(set(), 0, 404)),
    ("notifications", "get", "/api/v1/notifications/", None, expect(set(ALL), 200)),
    ("notification read", "post", "/api/v1/notifications/{n}/read/", None, expect(set(ALL), 200)),
    (
        "other's notification",
        "post",
        "/api/v1/notifications/{on}/read/",
        None,
        expect(set(), 0, 404),
    ),
]

PAGES = [
    ("home", "get", "/", expect(set(ALL), 302)),
    ("people", "get", "/patients/", expect(CASEWORK, 200)),
    ("search", "get", "/patients/?q=ok", expect(CASEWORK, 200)),
    ("new person", "get", "/patients/new/", expect(CASEWORK, 200)),
    ("person", "get", "/patients/{p}/", expect(CASEWORK, 200)),
    ("edit person", "get", "/patients/{p}/edit/", expect(CASEWORK, 200)),
    ("consent", "post", "/patients/{p}/consent/", expect(CASEWORK, 302)),
    ("care team add", "post", "/patients/{p}/care-team/", expect(CASEWORK, 302)),
    ("care team remove", "post", "/patients/{p}/care-team/{c}/remove/", expect(CASEWORK, 302)),
    ("access log", "get", "/patients/{p}/access-log/", expect(OVERSIGHT, 200)),
    ("network access log", "get", "/audit/", expect(OVERSIGHT, 200)),
    ("foreign person", "get", "/patients/{f}/", expect(set(), 0, 404)),
    ("foreign edit", "get", "/patients/{f}/edit/", expect(set(), 0, 404)),
    ("foreign access log", "get", "/patients/{f}/access-log/", expect(set(), 0, 404)),
]


@pytest.fixture
def world(network, other_network, patient, foreign_patient, member):
    from networks.models import Membership
    from patients.services import care_team_add

    nurse = member("community_nurse", username="nurse.on.team")
    team = care_team_add(patient=patient, membership=Membership.objects.get(user=nurse), by=nurse)
    return {
        "p": patient.pk,
        "f": foreign_patient.pk,
        "t": ActionFactory(patient=patient, assignee_role="gp").pk,
        "ft": ActionFactory(patient=foreign_patient).pk,
        "c": team.pk,
        "on": notification_send(recipient=nurse, key="n-other", kind="t", title="t").pk,
        "n": 0,  # the caller's own notification, made per role in the test
    }


@pytest.mark.parametrize("role", ALL)
@pytest.mark.parametrize(
    ("name", "method", "url", "body", "expected"), API, ids=[a[0] for a in API]
)
def test_api_matrix(api, member, world, patient, role, name, method, url, body, expected):
    user = member(role)
    world["n"] = notification_send(recipient=user, key=f"n-{role}", kind="t", title="t").pk
    payload = {
        None: None,
        "patient": _patient_body(ALL.index(role)),
        "phone": {"phone": "020 7946 0999"},
        "task": _task_body(patient),
    }[body]
    response = getattr(api(user), method)(url.format(**world), payload, format="json")
    assert response.status_code == expected(role), (role, name, response.content[:300])


@pytest.mark.parametrize("role", ALL)
@pytest.mark.parametrize(("name", "method", "url", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_page_matrix(client, member, world, role, name, method, url, expected):
    user = member(role)
    client.force_login(user)
    data = None
    if name == "consent":
        data = {"consent_mdt": "given", "consent_sharing": "given"}
    elif name == "care team add":
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
    membership_deactivate(membership=Membership.objects.get(user=user))
    assert client.get(f"/patients/{world['p']}/").status_code == 403
    assert client.get("/patients/").status_code == 403


def test_every_api_and_page_url_is_in_the_matrix():
    """A new URL must be added to the matrix above (and so get tested for every role)."""
    from tests.test_access_meta import all_url_patterns

    covered = {u for _, _, u, *_ in API} | {u for _, _, u, _ in PAGES}
    normalised = {
        re.sub(r"\{(p|f|t|ft|n|on)\}", "<pk>", c)
        .replace("{c}", "<member_id>")
        .replace("/thornton-heath/", "/<slug>/")
        .replace("/purbeck/", "/<slug>/")
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
                "/network/switch/",
                "/static/",
            )
        ):
            continue
        if route not in normalised:
            missing.append(route)
    assert missing == [], f"URLs not in the access matrix: {missing}"
