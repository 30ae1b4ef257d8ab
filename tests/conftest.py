import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from networks.roles import Role

from .factories import (
    MembershipFactory,
    NetworkFactory,
    OrganisationFactory,
    PatientFactory,
    UserFactory,
)

# Playwright's sync API runs an event loop in the test thread; Django's ORM is still used
# synchronously from it (live_server, fixtures).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROLES = [r.value for r in Role]


FLUSHED = pytest.StashKey[bool]()


@pytest.fixture(autouse=True)
def migration_data(request):
    """The red-flag catalogue and the working-day calendar are data from migrations; a
    transactional test's flush removes them. They are written back, committed, straight after
    that flush (pytest_runtest_teardown below), so every later test finds them as the
    migrations left them: refilling the 22,000-day calendar inside each later test's
    rolled-back transaction cost 1.5 s a test."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or any(
        name in request.fixturenames for name in ("db", "transactional_db", "live_server")
    )
    if not uses_db:
        return
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    request.node.stash[FLUSHED] = bool(transactional)
    from referrals.catalogue import ensure_red_flags
    from reports.calendar import ensure_calendar

    ensure_red_flags()
    ensure_calendar()  # a no-op unless something removed it


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After every fixture of a transactional test is torn down, its flush included (the
    flush comes from pytest-django's own fixture, which may be torn down after ours)."""
    yield
    # After the last test the test database is gone (nextitem None): nothing to refill.
    if item.stash.get(FLUSHED, False) and nextitem is not None:
        from pytest_django.plugin import blocking_manager_key

        from referrals.catalogue import ensure_red_flags
        from reports.calendar import ensure_calendar

        with item.config.stash[blocking_manager_key].unblock():
            ensure_red_flags()
            ensure_calendar()


def pytest_collection_modifyitems(items):
    """Schemathesis names each operation's test `test_api[GET /api/v1/...]` but leaves every
    one the nodeid `tests/test_api_fuzz.py::test_api`. pytest-xdist schedules by nodeid, so
    under `make test` all but one operation would silently not be fuzzed: each gets its own
    name in its nodeid (tests/test_collection.py checks that every nodeid is unique)."""
    for item in items:
        if type(item).__name__ == "SchemathesisFunction" and not item.nodeid.endswith("]"):
            nodeid = f"{item.nodeid.split('::', 1)[0]}::{item.name}"
            try:  # pytest 9 keeps the nodeid structured; pytest 8 as a string
                from _pytest.nodeid import coerce_node_id

                item._id = coerce_node_id(nodeid)
            except ImportError:
                item._nodeid = nodeid


DMD_EXTRACT = Path(__file__).resolve().parent.parent / "dmd" / "fixtures" / "release"


@pytest.fixture
def dmd_release(db):
    """The repository's dm+d extract (dmd/fixtures/release/), loaded as load_dmd loads it."""
    call_command("load_dmd", str(DMD_EXTRACT), stdout=io.StringIO())
    return DMD_EXTRACT


@pytest.fixture
def network(db):
    return NetworkFactory(slug="thornton-heath", name="Thornton Heath", vocabulary="icn")


@pytest.fixture
def everyone_involved(network):
    """For a module about something other than who is involved in a person's care: the
    networks take the choice some MDTs make, that every clinical member is involved with
    everyone (Network.involvement_required off). The role rules stand; involvement itself
    is tested in tests/patients/test_involvement.py and tests/test_access_involvement.py."""
    from networks.models import Network

    Network.objects.update(involvement_required=False)
    network.refresh_from_db()
    return network


@pytest.fixture
def other_network(db):
    return NetworkFactory(
        slug="purbeck",
        name="Purbeck",
        vocabulary="hub",
        cadence="twice_weekly",
        meeting_weekdays=[0, 3],
    )


def member_maker(network):
    """make(role) -> a user with that role in `network` (or in `net`)."""

    def make(role: str = "pharmacist", net=None, username: str | None = None):
        net = net or network
        user = UserFactory(username=username or f"{role}.{net.slug}")
        if not user.memberships.filter(network=net).exists():
            home = care_home_of(net) if role == Role.CARE_HOME_STAFF else None
            MembershipFactory(user=user, network=net, role=role, care_home=home)
        return user

    return make


def care_home_of(network, code: str = ""):
    """A care home of the network (made once; `code` for a second one): care home staff made
    by member_maker work in the first."""
    home = OrganisationFactory(
        code=code or f"CH-{network.pk}",
        name=f"{network.name} Lodge {code}".strip(),
        kind="care_home",
    )
    network.care_homes.add(home)
    return home


@pytest.fixture
def member(network):
    """member(role) -> a user with that role in `network`."""
    return member_maker(network)


@pytest.fixture
def patient(network):
    return PatientFactory(network=network, given_name="Edith", family_name="Okafor")


@pytest.fixture
def foreign_patient(other_network):
    return PatientFactory(network=other_network, given_name="Walter", family_name="Pike")


@pytest.fixture
def api():
    """api(user) -> an APIClient authenticated with that user's token (as partners do)."""
    from accounts.services import token_issue

    keys = {}

    def make(user=None):
        client = APIClient()
        if user is not None:
            if user.pk not in keys:
                keys[user.pk] = token_issue(user=user)[1]
            client.credentials(HTTP_AUTHORIZATION=f"Token {keys[user.pk]}")
        return client

    return make


@pytest.fixture
def mfa(settings):
    """A second factor required, as in production (ICN_REQUIRE_MFA)."""
    settings.ICN_REQUIRE_MFA = True
    return settings


@pytest.fixture
def enrolled(member):
    """enrolled(role) -> (user, their confirmed TOTP authenticator)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def make(role="pharmacist", **kwargs):
        user = member(role, **kwargs)
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        return user, device

    return make
