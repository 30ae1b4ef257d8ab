"""Meta-test: every read of a person's data writes an access event.

Walks every operation of the OpenAPI schema and every page URL (the resolver, as
tests/test_access_meta.py does). Each is either exercised here, as a role that may use it,
on a small world built once for the module (tests/test_access_matrix.py's), and must add
an access event for the caller; or it is in an exempt list with a one-line reason. An
operation or page that is neither fails the test, so a new endpoint cannot slip through.
Exempt GETs that can be called are called too, and must not show the person's name or
NHS number (the reason for the exemption is checked, not just stated).
"""

import datetime
import re

import pytest
from django.utils import timezone

from audit.models import AccessEvent
from core.nhs_number import synthetic
from notifications.services import notification_send
from tests.openapi import raw_schema
from tests.test_access_meta import all_url_patterns

pytestmark = pytest.mark.django_db

CHAIR = "chair"
SOON = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
POST_ONLY = "POST only: answers with a redirect (or a form's errors), shows no one's record"

# -- API ---------------------------------------------------------------------------------------
# (method, schema path) -> (role, url template). Each must write an access event.
API_READS = {
    ("GET", "/api/v1/patients/"): (CHAIR, "/api/v1/patients/"),
    ("GET", "/api/v1/patients/{id}/"): (CHAIR, "/api/v1/patients/{p}/"),
    ("GET", "/api/v1/patients/{id}/access-log/"): (CHAIR, "/api/v1/patients/{p}/access-log/"),
    ("GET", "/api/v1/tasks/"): (CHAIR, "/api/v1/tasks/"),
    ("GET", "/api/v1/case-finding/"): (CHAIR, "/api/v1/case-finding/?network=thornton-heath"),
    ("GET", "/api/v1/tasks/{id}/"): (CHAIR, "/api/v1/tasks/{t}/"),
    ("GET", "/api/v1/referrals/"): (CHAIR, "/api/v1/referrals/"),
    ("GET", "/api/v1/referrals/{id}/"): (CHAIR, "/api/v1/referrals/{r}/"),
    ("GET", "/api/v1/visits/"): (CHAIR, "/api/v1/visits/"),
    ("GET", "/api/v1/visits/{id}/"): (CHAIR, "/api/v1/visits/{v}/"),
    ("GET", "/api/v1/medications/"): (CHAIR, "/api/v1/medications/"),
    ("GET", "/api/v1/medications/{id}/"): (CHAIR, "/api/v1/medications/{m}/"),
    ("GET", "/api/v1/supplies/"): (CHAIR, "/api/v1/supplies/"),
    ("GET", "/api/v1/medication-reviews/"): (CHAIR, "/api/v1/medication-reviews/"),
    ("GET", "/api/v1/huddles/"): (CHAIR, "/api/v1/huddles/"),
    ("GET", "/api/v1/huddles/{id}/"): (CHAIR, "/api/v1/huddles/{h}/"),
    ("GET", "/api/v1/huddles/{meeting_pk}/items/{id}/"): (CHAIR, "/api/v1/huddles/{h}/items/{hi}/"),
    ("GET", "/api/v1/access-events/"): ("ig_lead", "/api/v1/access-events/"),
    ("GET", "/api/v1/break-glass/"): ("ig_lead", "/api/v1/break-glass/"),
    ("GET", "/api/v1/patients/{id}/care-plan/"): (CHAIR, "/api/v1/patients/{p}/care-plan/"),
}

# Writes whose response carries the person's data: (role, url template, body).
API_WRITES = {
    ("POST", "/api/v1/tasks/{id}/done/"): (CHAIR, "/api/v1/tasks/{t}/done/", None),
    ("POST", "/api/v1/tasks/{id}/claim/"): ("gp", "/api/v1/tasks/{t}/claim/", None),
    ("PATCH", "/api/v1/tasks/{id}/"): (CHAIR, "/api/v1/tasks/{t}/", {"title": "Call back"}),
    ("PATCH", "/api/v1/patients/{id}/"): (
        CHAIR,
        "/api/v1/patients/{p}/",
        {"phone": "020 7946 0999"},
    ),
    ("PATCH", "/api/v1/huddles/{meeting_pk}/items/{id}/"): (
        CHAIR,
        "/api/v1/huddles/{h}/items/{hi}/",
        {"notes": "Discussed"},
    ),
    ("POST", "/api/v1/referrals/{id}/accept/"): (CHAIR, "/api/v1/referrals/{r}/accept/", None),
    ("POST", "/api/v1/patients/{id}/break-glass/"): (
        CHAIR,
        "/api/v1/patients/{p}/break-glass/",
        {"reason_code": "consent", "reason": "She asked me to look"},
    ),
    ("POST", "/api/v1/patients/{id}/frailty/"): (
        CHAIR,
        "/api/v1/patients/{p}/frailty/",
        {"scale": "efi", "score": "0.3", "assessed_on": "2025-01-02"},
    ),
    (
        "POST",
        "/api/v1/referrals/{id}/decline/",
    ): (CHAIR, "/api/v1/referrals/{r}/decline/", {"reason": "already_known", "note": "Known"}),
    ("POST", "/api/v1/referrals/{id}/withdraw/"): (
        "nurse.on.team",
        "/api/v1/referrals/{r}/withdraw/",
        None,
    ),
    ("PUT", "/api/v1/patients/{id}/care-plan/"): (
        CHAIR,
        "/api/v1/patients/{p}/care-plan/",
        {
            "version": 0,
            "needs": [{"domain": "social", "description": "Lonely"}],
            "interventions": [],
            "review_on": SOON,
        },
    ),
    ("POST", "/api/v1/visits/{id}/break-glass/"): (
        "gp",
        "/api/v1/visits/{v}/break-glass/",
        {"reason_code": "vital_interests", "reason": "Collapsed"},
    ),
    ("POST", "/api/v1/break-glass/{id}/review/"): (
        "ig_lead",
        "/api/v1/break-glass/{bg}/review/",
        {"review_outcome": "appropriate"},
    ),
    ("POST", "/api/v1/referrals/{id}/complete/"): (
        CHAIR,
        "/api/v1/referrals/{ra}/complete/",
        {"outcome": "Seen at home"},
    ),
    ("POST", "/api/v1/patients/{id}/medications/import/"): (
        CHAIR,
        "/api/v1/patients/{p}/medications/import/",
        "gp_list_body",  # the world's Bundle about the person
    ),
    ("POST", "/api/v1/subject-access/"): (
        "ig_lead",
        "/api/v1/subject-access/",
        {"network": "thornton-heath", "nhs_number": synthetic(900), "reference": "Letter"},
    ),
}

CREATED = "creates from what the caller sent: the response is their own input back, with ids"
# (method, schema path) -> (reason, url template to check it shows no one, or None).
API_EXEMPT = {
    ("POST", "/api/v1/auth/token/"): ("a token for the caller's own account", None),
    ("POST", "/api/v1/auth/logout/"): ("revokes the caller's own token; returns nothing", None),
    ("GET", "/api/v1/me/"): ("the caller's own account and memberships", "/api/v1/me/"),
    ("GET", "/api/v1/networks/"): ("networks and their vocabulary, no people", "/api/v1/networks/"),
    ("GET", "/api/v1/networks/{slug}/"): (
        "one network and its vocabulary, no people",
        "/api/v1/networks/thornton-heath/",
    ),
    ("GET", "/api/v1/red-flags/"): ("the red-flag catalogue, no people", "/api/v1/red-flags/"),
    ("GET", "/api/v1/dmd/"): ("dm+d products (reference data), no people", "/api/v1/dmd/?q=amlo"),
    ("GET", "/api/v1/networks/{slug}/services/"): (
        "the network's services (configuration), no people",
        "/api/v1/networks/thornton-heath/services/",
    ),
    ("GET", "/api/v1/notifications/"): (
        "the caller's own notifications: sending one is the disclosure; its link is audited",
        None,
    ),
    ("POST", "/api/v1/notifications/{id}/read/"): ("marks the caller's own notification", None),
    ("GET", "/api/v1/reports/admissions-avoided/"): (
        "figures per network, no people",
        "/api/v1/reports/admissions-avoided/?network=thornton-heath",
    ),
    ("GET", "/api/v1/reports/dashboard/"): ("figures, no people", "/api/v1/reports/dashboard/"),
    ("GET", "/api/v1/reports/evaluation/"): (
        "counts and rate ratios, no people",
        "/api/v1/reports/evaluation/?network=thornton-heath",
    ),
    ("GET", "/api/v1/populations/"): (
        "GP practices' list sizes, no people",
        "/api/v1/populations/?network=thornton-heath",
    ),
    ("POST", "/api/v1/populations/import/"): ("GP practices' list sizes, no people", None),
    # Commissioners only (the chair of the world is refused): tests/reports/test_compare*.py.
    ("GET", "/api/v1/reports/networks/"): ("figures per network, no people", None),
    ("GET", "/api/v1/reports/networks/trend/"): ("referrals per network and month", None),
    ("POST", "/api/v1/patients/"): (CREATED, None),
    ("POST", "/api/v1/patients/import/"): (
        "counts only, no one's record; the people it matches are written to the trail "
        "(tests/patients/test_import.py)",
        None,
    ),
    ("POST", "/api/v1/tasks/"): (CREATED, None),
    ("POST", "/api/v1/huddles/"): ("a new extra meeting: its agenda is empty", None),
    ("POST", "/api/v1/referrals/"): (CREATED, None),
    ("POST", "/api/v1/visits/"): (CREATED, None),
    ("POST", "/api/v1/medications/"): (CREATED, None),
    ("POST", "/api/v1/supplies/"): (CREATED, None),
    ("POST", "/api/v1/supplies/upload/"): (CREATED, None),
    ("POST", "/api/v1/medication-reviews/"): (CREATED, None),
    ("GET", "/api/v1/webhooks/"): (
        "the caller's webhook subscriptions (addresses and events), no people",
        "/api/v1/webhooks/",
    ),
    ("POST", "/api/v1/webhooks/"): (CREATED, None),
    ("DELETE", "/api/v1/webhooks/{id}/"): ("stops a subscription; returns nothing", None),
    ("GET", "/api/v1/webhooks/{id}/deliveries/"): (
        "the delivery log: event types, times and status codes, no people",
        "/api/v1/webhooks/{wh}/deliveries/",
    ),
}

# -- Pages -------------------------------------------------------------------------------------
# route (as the resolver names it) -> [(role, url template)]. Each must write an access event.
PAGE_READS = {
    "/patients/": [(CHAIR, "/patients/"), (CHAIR, "/patients/?q=Okafor")],
    "/patients/<pk>/": [(CHAIR, "/patients/{p}/")],
    "/patients/<pk>/timeline/": [
        (CHAIR, "/patients/{p}/timeline/"),
        ("pic", "/patients/{p}/timeline/"),
    ],
    "/patients/<pk>/summary.pdf": [
        (CHAIR, "/patients/{p}/summary.pdf"),
        ("pic", "/patients/{p}/summary.pdf"),
    ],
    "/patients/<pk>/edit/": [(CHAIR, "/patients/{p}/edit/")],
    "/patients/<pk>/consent/": [(CHAIR, "/patients/{p}/consent/")],
    "/patients/<pk>/care-team/": [(CHAIR, "/patients/{p}/care-team/")],
    "/patients/<pk>/care-team/<member_id>/remove/": [
        (CHAIR, "/patients/{p}/care-team/{c}/remove/")
    ],
    "/patients/<pk>/goals/": [(CHAIR, "/patients/{p}/goals/")],
    "/patients/<pk>/goals/<goal_id>/outcome/": [(CHAIR, "/patients/{p}/goals/{g}/outcome/")],
    "/patients/<pk>/frailty/": [(CHAIR, "/patients/{p}/frailty/")],
    "/patients/<pk>/break-glass/": [(CHAIR, "/patients/{p}/break-glass/")],
    "/patients/<pk>/access-log/": [(CHAIR, "/patients/{p}/access-log/")],
    "/care-plans/patients/<pk>/edit/": [(CHAIR, "/care-plans/patients/{p}/edit/")],
    "/audit/": [("ig_lead", "/audit/")],
    "/audit/export.csv": [("ig_lead", "/audit/export.csv")],
    "/audit/break-glass/": [("ig_lead", "/audit/break-glass/")],
    "/meetings/<pk>/items/<item_id>/break-glass/": [("gp", "/meetings/{h}/items/{i}/break-glass/")],
    "/meetings/<pk>/items/<item_id>/restrict/": [(CHAIR, "/meetings/{h}/items/{i}/restrict/")],
    "/patients/<pk>/clinical-notes/break-glass/": [
        ("gp", "/patients/{p}/clinical-notes/break-glass/")
    ],
    "/patients/<pk>/clinical-notes/restrict/": [(CHAIR, "/patients/{p}/clinical-notes/restrict/")],
    "/medicines/patients/<pk>/visits/<visit_id>/break-glass/": [
        ("gp", "/medicines/patients/{p}/visits/{v}/break-glass/")
    ],
    "/medicines/patients/<pk>/visits/<visit_id>/restrict/": [
        (CHAIR, "/medicines/patients/{p}/visits/{v}/restrict/")
    ],
    "/referrals/inbox/<service>/": [(CHAIR, "/referrals/inbox/medicines_optimisation/")],
    "/referrals/patients/<pk>/refer/": [(CHAIR, "/referrals/patients/{p}/refer/")],
    "/referrals/<pk>/complete/": [(CHAIR, "/referrals/{ra}/complete/")],
    "/referrals/caseload/<service>/": [(CHAIR, "/referrals/caseload/social_services/")],
    "/medicines/my-day/": [("pharmacist", "/medicines/my-day/")],
    "/medicines/patients/<pk>/visit/": [(CHAIR, "/medicines/patients/{p}/visit/")],
    "/medicines/patients/<pk>/medicines/new/": [(CHAIR, "/medicines/patients/{p}/medicines/new/")],
    "/medicines/patients/<pk>/reviews/new/": [(CHAIR, "/medicines/patients/{p}/reviews/new/")],
    "/medicines/patients/<pk>/dispensing/": [(CHAIR, "/medicines/patients/{p}/dispensing/")],
    "/medicines/patients/<pk>/gp-list/": [(CHAIR, "/medicines/patients/{p}/gp-list/")],
    "/medicines/patients/<pk>/gp-list/<import_id>/": [
        (CHAIR, "/medicines/patients/{p}/gp-list/{gi}/")
    ],
    "/meetings/<pk>/": [(CHAIR, "/meetings/{h}/")],
    "/meetings/<pk>/run/<item_id>/": [(CHAIR, "/meetings/{h}/run/{i}/")],
    "/meetings/<pk>/minutes/": [(CHAIR, "/meetings/{h}/minutes/")],
    "/meetings/<pk>/minutes.pdf": [(CHAIR, "/meetings/{h}/minutes.pdf")],
    "/meetings/<pk>/close/": [(CHAIR, "/meetings/{h}/close/")],
    "/my-work/": [(CHAIR, "/my-work/")],
    "/my-work/tasks/<pk>/": [(CHAIR, "/my-work/tasks/{t}/")],
    "/my-work/tasks/<pk>/edit/": [(CHAIR, "/my-work/tasks/{t}/edit/")],
    "/my-work/tasks/new/": [(CHAIR, "/my-work/tasks/new/?patient={p}")],
    "/reports/case-finding/": [(CHAIR, "/reports/case-finding/")],
    "/reports/people/": [(CHAIR, "/reports/people/?metric=referrals")],
    "/reports/export/<table>.csv": [(CHAIR, "/reports/export/people.csv?metric=referrals")],
    "/governance/subject-access/<pk>/": [("ig_lead", "/governance/subject-access/{sar}/")],
    "/governance/subject-access/<pk>/bundle.json": [
        ("ig_lead", "/governance/subject-access/{sar}/bundle.json")
    ],
    "/governance/subject-access/<pk>/bundle.pdf": [
        ("ig_lead", "/governance/subject-access/{sar}/bundle.pdf")
    ],
    "/governance/retention/": [("ig_lead", "/governance/retention/")],
    "/governance/retention/<pk>/erase/": [("ig_lead", "/governance/retention/{old}/erase/")],
}

# route -> (reason, url template to check it shows no one, or None).
PAGE_EXEMPT = {
    "/": ("redirects to the member's start page", "/"),
    "/patients/new/": ("an empty form for a new person", "/patients/new/"),
    "/patients/import/": (
        "the upload form; a check's and an import's people are written to the trail "
        "(tests/patients/test_import_page.py)",
        "/patients/import/",
    ),
    "/referrals/inbox/": ("redirects to the first inbox served", "/referrals/inbox/"),
    "/referrals/criteria/": ("a service's referral criteria", "/referrals/criteria/?service=pic"),
    "/referrals/services/": ("the network's services (configuration)", "/referrals/services/"),
    "/referrals/services/add/": ("an empty form for a new service", "/referrals/services/add/"),
    "/referrals/services/<code>/edit/": (
        "one service's configuration",
        "/referrals/services/mdt/edit/",
    ),
    "/medicines/visit/news2/": ("a NEWS2 score from the numbers sent", "/medicines/visit/news2/"),
    "/medicines/dmd-search/": (
        "dm+d products (reference data), no people",
        "/medicines/dmd-search/?q=amlo",
    ),
    "/medicines/visit/recommendation/": (
        "advice from the answers sent",
        "/medicines/visit/recommendation/?infection_risk=on",
    ),
    "/meetings/": ("meetings with counts of items, no names", "/meetings/"),
    "/webhooks/": ("the network's webhooks and delivery log, no people", "/webhooks/"),
    "/webhooks/<pk>/remove/": ("stops a subscription and redirects (POST only)", None),
    "/meetings/<pk>/run/": ("redirects to the first item", "/meetings/{h}/run/"),
    "/reports/": ("figures, no people", "/reports/"),
    "/reports/evaluation/": ("counts and rate ratios, no people", "/reports/evaluation/"),
    "/reports/networks/": ("figures per network, no people (commissioners only)", None),
    "/reports/admissions/": ("the form and recent imports' file names", "/reports/admissions/"),
    # Commissioners only (the chair here is refused): tests/reports/test_monthly.py reads the
    # PDF and CSV for the names and NHS numbers of the people counted; downloads are exports.
    "/reports/monthly/": ("the caller's own reports: months and network names", None),
    "/reports/monthly/<pk>.pdf": ("figures per network, no one; an export in the trail", None),
    "/reports/monthly/<pk>.csv": ("figures per network, no one; an export in the trail", None),
    "/reports/admissions/imports/<pk>/": (
        "an import's rows are written to the trail by the admissions pages' own tests "
        "(reports/admission_views.py); the world's import is empty",
        "/reports/admissions/imports/{ai}/",
    ),
    "/notifications/": ("the caller's own notifications: sending one is the disclosure", None),
    "/notifications/bell/": ("the caller's unread count", "/notifications/bell/"),
    "/notifications/settings/": ("the caller's e-mail choice", "/notifications/settings/"),
    "/medicines/patients/<pk>/visits/<visit_id>/news2-acknowledge/": (POST_ONLY, None),
    "/medicines/patients/<pk>/allocate/": (POST_ONLY, None),
    "/medicines/patients/<pk>/gp-list/<import_id>/lines/<line_id>/": (POST_ONLY, None),
    "/audit/break-glass/<pk>/review/": (POST_ONLY, None),
    "/referrals/<pk>/accept/": (POST_ONLY, None),
    "/referrals/<pk>/decline/": (POST_ONLY, None),
    "/referrals/<pk>/withdraw/": (POST_ONLY, None),
    "/referrals/<pk>/add-reason/": (POST_ONLY, None),
    "/referrals/patients/<pk>/flags/": (POST_ONLY, None),
    "/referrals/flags/<flag_id>/resolve/": (POST_ONLY, None),
    "/meetings/new/": (POST_ONLY, None),
    "/meetings/<pk>/move/": (POST_ONLY, None),
    "/meetings/<pk>/cancel/": (POST_ONLY, None),
    "/meetings/<pk>/agenda/": (POST_ONLY, None),
    "/reports/case-finding/<pk>/add/": (POST_ONLY, None),
    "/meetings/<pk>/agenda/build/": (POST_ONLY, None),
    "/meetings/<pk>/items/<item_id>/remove/": (POST_ONLY, None),
    "/meetings/<pk>/items/<item_id>/reorder/": (POST_ONLY, None),
    "/meetings/<pk>/items/<item_id>/notes/": (POST_ONLY, None),
    "/meetings/<pk>/items/<item_id>/social-notes/": (POST_ONLY, None),
    "/meetings/<pk>/items/<item_id>/decision/": (POST_ONLY, None),
    "/meetings/<pk>/items/<item_id>/actions/": (POST_ONLY, None),
    "/meetings/<pk>/attendance/": (POST_ONLY, None),
    "/meetings/<pk>/guests/": (POST_ONLY, None),
    "/meetings/<pk>/guests/<guest_id>/remove/": (POST_ONLY, None),
    "/my-work/tasks/<pk>/done/": (POST_ONLY, None),
    "/my-work/tasks/<pk>/claim/": (POST_ONLY, None),
    "/my-work/away/": (POST_ONLY, None),
    "/my-work/away/<pk>/end/": (POST_ONLY, None),
    "/reports/admissions/check/": (POST_ONLY, None),
    "/reports/admissions/imports/<pk>/import/": (POST_ONLY, None),
    "/reports/admissions/imports/<pk>/discard/": (POST_ONLY, None),
    "/notifications/<pk>/read/": (POST_ONLY, None),
    "/notifications/read-all/": (POST_ONLY, None),
    "/governance/subject-access/": (
        "the IG lead's search form; the request itself is written to the trail by its "
        "service (tests/governance/test_subject_access.py)",
        None,
    ),
}
# Not people's data at all, and not member pages: login, admin (its own test), the API.
PAGE_PREFIXES_OUT_OF_SCOPE = (
    "/admin/",
    "/accounts/",  # login, second factor, security page: the caller's own account
    "/api/",
    "/fhir/",  # every resource type is exercised by tests/interop/test_trail_meta.py
    "/healthz",
    "/network/switch/",
    "/static/",
)


@pytest.fixture(scope="module")
def _built(django_db_setup, django_db_blocker):
    """The access matrix's world, built once for the module in a transaction rolled back at
    its end; each test runs in a savepoint inside it."""
    from django.db import transaction

    from referrals.catalogue import ensure_red_flags
    from reports.calendar import ensure_calendar

    from .access_world import build_world
    from .conftest import member_maker
    from .factories import NetworkFactory, PatientFactory

    with django_db_blocker.unblock(), transaction.atomic():
        ensure_red_flags()
        ensure_calendar()
        network = NetworkFactory(slug="thornton-heath", name="Thornton Heath", vocabulary="icn")
        other = NetworkFactory(slug="purbeck", name="Purbeck", vocabulary="hub")
        patient = PatientFactory(network=network, given_name="Edith", family_name="Okafor")
        foreign = PatientFactory(network=other, given_name="Walter", family_name="Pike")
        member = member_maker(network)
        world = build_world(network, other, patient, foreign, member)
        _add_to_world(patient, member)
        yield {"network": network, "patient": patient, "world": world}
        transaction.set_rollback(True)


def _add_to_world(patient, member):
    """What the matrix's world lacks for every list here to show someone."""
    from medicines.services import medication_review_record, supplies_add

    nurse = member("community_nurse", username="nurse.on.team")
    supplies_add(
        patient=patient,
        by=nurse,
        rows=[{"medicine": "Ramipril", "dispensed_on": timezone.localdate(), "quantity": 28}],
    )
    medication_review_record(
        patient=patient, by=nurse, reviewed_on=timezone.localdate(), outcome="no_change"
    )
    from audit.services import access_record

    access_record(user=nurse, patients=[patient], what="detail", channel="page")
    # A care-home resident of high frailty, for the pharmacist's My day.
    from .factories import OrganisationFactory, PatientFactory

    home = OrganisationFactory(kind="care_home", name="Elm House")
    PatientFactory(network=patient.network, care_home=home, frailty="severe")


@pytest.fixture
def member(_built, db):
    from .conftest import member_maker

    return member_maker(_built["network"])


@pytest.fixture
def world(_built, db):
    return dict(_built["world"])


@pytest.fixture
def patient(_built, db):
    return _built["patient"]


def _user(member, who: str):
    """A role (a new member of the world's network) or the username of one already in it."""
    if "." in who:
        from django.contrib.auth import get_user_model

        return get_user_model().objects.get(username=who)
    return member(who)


def _last_event_id() -> int:
    return AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _assert_event_written(user, since: int, label: str) -> None:
    __tracebackhide__ = True
    assert AccessEvent.objects.filter(id__gt=since, user_id=user.pk).exists(), (
        f"{label}: returned a person's data but wrote no access event"
    )


def _assert_shows_no_one(response, patient, label: str) -> None:
    __tracebackhide__ = True
    body = response.content.decode(errors="replace")
    for text in (patient.family_name, patient.nhs_number):
        assert text not in body, f"{label} is exempt as showing no one, but shows {text!r}"


def _schema_operations() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in raw_schema()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def _page_routes() -> set[str]:
    routes = set()
    for route, _callback in all_url_patterns():
        if not route.startswith(PAGE_PREFIXES_OUT_OF_SCOPE):
            routes.add(route)
    return routes


def test_every_api_operation_is_exercised_or_exempt():
    listed = set(API_READS) | set(API_WRITES) | set(API_EXEMPT)
    schema = _schema_operations()
    assert sorted(schema - listed) == [], "operations neither exercised nor exempt"
    assert sorted(listed - schema) == [], "listed operations no longer in the schema"


def test_every_page_is_exercised_or_exempt():
    listed = set(PAGE_READS) | set(PAGE_EXEMPT)
    routes = _page_routes()
    assert sorted(routes - listed) == [], "pages neither exercised nor exempt"
    assert sorted(listed - routes) == [], "listed pages no longer routed"


# Under /accounts/, so out of scope; listed so that each says why it shows no one.
OWN_ACCOUNT_ROUTES = {
    "/accounts/login/passkey/begin/": "a challenge for the pending login's own passkeys",
    "/accounts/login/passkey/complete/": "checks the caller's own passkey, finishes their login",
    "/accounts/security/passkeys/begin/": "a challenge to add a passkey to the caller's account",
    "/accounts/security/passkeys/complete/": "adds a passkey to the caller's own account",
    "/accounts/security/passkeys/name/": "names one of the caller's own passkeys",
    "/accounts/security/passkeys/remove/": "removes one of the caller's own passkeys",
    "/accounts/passkeys/jsi18n/": "the passkey scripts' messages, no people",
}


def test_own_account_routes_are_routed_and_out_of_scope():
    routes = {route for route, _callback in all_url_patterns()}
    for route, reason in OWN_ACCOUNT_ROUTES.items():
        assert route in routes and route.startswith(PAGE_PREFIXES_OUT_OF_SCOPE), route
        assert reason.strip() and "\n" not in reason


def test_every_exemption_has_a_reason():
    for reason, _url in [*API_EXEMPT.values(), *PAGE_EXEMPT.values()]:
        assert reason.strip() and "\n" not in reason


@pytest.mark.parametrize(("op", "case"), API_READS.items(), ids=[" ".join(k) for k in API_READS])
def test_api_read_writes_an_access_event(api, member, world, op, case):
    role, url = case
    user = member(role)
    since = _last_event_id()
    response = api(user).get(url.format(**world))
    assert response.status_code == 200, (op, response.content[:300])
    _assert_event_written(user, since, " ".join(op))


@pytest.mark.parametrize(("op", "case"), API_WRITES.items(), ids=[" ".join(k) for k in API_WRITES])
def test_api_write_writes_an_access_event(api, member, world, op, case):
    role, url, body = case
    body = world[body] if isinstance(body, str) else body
    user = _user(member, role)
    since = _last_event_id()
    response = getattr(api(user), op[0].lower())(url.format(**world), body, format="json")
    assert response.status_code in (200, 201), (op, response.content[:300])
    _assert_event_written(user, since, " ".join(op))


_EXEMPT_API_GETS = {k: v for k, v in API_EXEMPT.items() if v[1]}


@pytest.mark.parametrize(
    ("op", "case"), _EXEMPT_API_GETS.items(), ids=[" ".join(k) for k in _EXEMPT_API_GETS]
)
def test_exempt_api_read_shows_no_one(api, member, world, patient, op, case):
    _reason, url = case
    response = api(member(CHAIR)).get(url.format(**world))
    assert response.status_code == 200, (op, response.content[:300])
    _assert_shows_no_one(response, patient, " ".join(op))


_PAGE_CASES = [(route, role, url) for route, cases in PAGE_READS.items() for role, url in cases]


@pytest.mark.parametrize(("route", "role", "url"), _PAGE_CASES, ids=[c[2] for c in _PAGE_CASES])
def test_page_read_writes_an_access_event(client, member, world, route, role, url):
    user = member(role)
    client.force_login(user)
    since = _last_event_id()
    response = client.get(url.format(**world))
    assert response.status_code == 200, (url, response.status_code)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    _assert_event_written(user, since, url)


_EXEMPT_PAGE_GETS = {k: v for k, v in PAGE_EXEMPT.items() if v[1]}


@pytest.mark.parametrize(("route", "case"), _EXEMPT_PAGE_GETS.items(), ids=list(_EXEMPT_PAGE_GETS))
def test_exempt_page_shows_no_one(client, member, world, patient, route, case):
    _reason, url = case
    user = member(CHAIR)
    notification_send(recipient=user, occurrence="meta", kind="t", title="t")
    client.force_login(user)
    response = client.get(url.format(**world))
    assert response.status_code in {200, 302}, (url, response.status_code)
    _assert_shows_no_one(response, patient, url)


def test_the_meta_test_sees_a_new_operation(monkeypatch):
    """An operation added to the schema without being listed fails the first test."""
    schema = {"paths": {"/api/v1/new/": {"get": {}}}}
    monkeypatch.setattr("tests.test_access_trail_meta.raw_schema", lambda: schema)
    assert ("GET", "/api/v1/new/") in _schema_operations() - set(API_READS) - set(API_EXEMPT)


def test_route_normalisation_matches_the_matrix():
    assert all(re.match(r"^/[\w\-<>/.]*$", route) for route in _page_routes())
