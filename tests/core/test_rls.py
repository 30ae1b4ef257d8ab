"""Network isolation enforced by PostgreSQL (core/rls.py, docs/adr/0006): as the
application's role, a read with no selector at all sees only the caller's networks, in a
request (pages and the API); a write into another network is refused. Over a connection of
its own and in a Celery task run by a real worker: tests/core/test_rls_committed.py.

The suite runs as the tables' owner (a superuser), which RLS does not apply to; these tests
switch to the application's role (``SET ROLE``, or a connection that logs in as it)."""

from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core import rls
from icn.celery import TaskNotScoped
from patients.models import Patient
from tests.factories import MembershipFactory, NetworkFactory, PatientFactory, UserFactory
from tests.workers import database_url_for_tests

ROOT = Path(__file__).resolve().parents[2]
APP_ROLE = settings.DATABASE_APP_ROLE
PROBE_URLS = "tests.core.rls_probe"


def ensure_app_role() -> None:
    """The application's role on this server (as icn/dev.py and deploy/postgres-init make
    it), granted its rights on the test database as each migrate does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        if cursor.fetchone() is None:
            # suppress: made meanwhile by another test run on this server
            with suppress(DatabaseError):
                cursor.execute(
                    f'CREATE ROLE "{APP_ROLE}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB '
                    "NOCREATEROLE"
                )
    assert rls.grant_to_app_role(APP_ROLE)


def app_url() -> str:
    """The test database's URL, logging in as the application's role."""
    parts = urlsplit(database_url_for_tests())
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{APP_ROLE}@{host}"))


@pytest.fixture(scope="module")
def _built(django_db_setup, django_db_blocker):
    """Two networks with a person, visits, referrals and a meeting each (the access matrix's
    world), made once for the module in a transaction rolled back at its end."""
    from tests.access_world import build_networks_and_world

    with django_db_blocker.unblock():
        ensure_app_role()
        with transaction.atomic():
            built = build_networks_and_world()
            yield built
            transaction.set_rollback(True)


@pytest.fixture
def two(_built, db):
    return _built


@pytest.fixture
def as_app(db):
    """This test's connection as the application's role, then back to the owner."""
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{APP_ROLE}"')
    assert rls.detect(connection, fresh=True), "RLS must apply to the application's role"
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    assert not rls.detect(connection, fresh=True)


def _user_of(network, role="community_nurse"):
    user = UserFactory(username=f"{role}.{network.slug}.rls")
    MembershipFactory(user=user, network=network, role=role)
    return user


def test_the_application_role_is_neither_superuser_nor_owner(two, as_app):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolname, r.rolsuper, r.rolbypassrls, c.relowner = r.oid "
            "FROM pg_roles r, pg_class c "
            "WHERE r.rolname = current_user AND c.relname = 'patients_patient'"
        )
        assert cursor.fetchone() == (APP_ROLE, False, False, False)
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = 'patients_patient'"
        )
        assert cursor.fetchone() == (True, True)


@pytest.mark.urls(PROBE_URLS)
def test_an_unscoped_read_in_a_page_request_sees_only_the_users_network(two, client):
    a, b = two["network"], two["other_network"]
    everyone = sorted([a.pk, b.pk])
    # As the owner the same unscoped reads see both networks: the probe can fail.
    assert sorted({p.network_id for p in Patient.objects.all()}) == everyone
    for network, other in ((a, b), (b, a)):
        client.force_login(_user_of(network))
        with connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{APP_ROLE}"')
        rls.detect(connection, fresh=True)
        try:
            seen = client.get("/rls-probe/").json()
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET ROLE")
            rls.detect(connection, fresh=True)
        assert seen["current_user"] == APP_ROLE
        for kind in ("patients", "visits", "referrals", "care_team", "agenda_items"):
            assert other.pk not in seen[kind], kind
        for kind in ("patients", "visits", "referrals"):
            assert seen[kind] == [network.pk], kind
        assert seen["patient_count"] == Patient.objects.filter(network=network).count()


@pytest.mark.urls(PROBE_URLS)
def test_an_unscoped_read_in_an_api_request_by_token_sees_only_the_users_network(two, api, as_app):
    a, b = two["network"], two["other_network"]
    with rls.system_scope():  # the token is issued as the owner would, before the request
        user = _user_of(b, "gp")
        client = api(user)
    seen = client.get("/api/rls-probe/").json()
    assert seen["current_user"] == APP_ROLE
    assert seen["patients"] == seen["visits"] == seen["referrals"] == [b.pk]
    assert a.pk not in seen["care_team"] + seen["agenda_items"]


@pytest.mark.urls(PROBE_URLS)
def test_the_scope_ends_with_the_request_and_an_anonymous_request_has_none(two, client, as_app):
    client.force_login(_user_of(two["network"]))
    assert client.get("/rls-probe/").status_code == 200
    assert rls.current() == ("", "off")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('icn.networks', true)")
        assert cursor.fetchone()[0] in ("", None)
    assert Patient.objects.count() == 0  # no scope: nothing at all
    client.logout()
    assert client.get("/rls-probe/").status_code == 302
    assert Patient.objects.count() == 0


def test_writing_into_another_network_is_refused(two, as_app):
    a, b = two["network"], two["other_network"]
    rls.set_scope([a.pk])
    mine = Patient.objects.get(pk=two["patient"].pk)
    assert not Patient.objects.filter(pk=two["foreign_patient"].pk).exists()
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        PatientFactory(network=b)
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        Patient.objects.filter(pk=mine.pk).update(network=b)
    # The other network's rows cannot be changed or deleted either: they are not there.
    assert Patient.objects.filter(pk=two["foreign_patient"].pk).update(given_name="X") == 0
    rls.clear_scope()


@pytest.mark.urls(PROBE_URLS)
def test_the_owner_is_sent_nothing_so_its_query_counts_are_unchanged(two, client):
    assert not rls.enforced()
    client.force_login(_user_of(two["network"]))
    with CaptureQueriesContext(connection) as queries:
        seen = client.get("/rls-probe/").json()
    assert not [q for q in queries if "set_config" in q["sql"]]
    assert sorted(seen["patients"]) == sorted([two["network"].pk, two["other_network"].pk])


def test_a_task_without_a_network_or_a_system_declaration_is_refused(two):
    from actions.tasks import notify_action_assigned

    with pytest.raises(TaskNotScoped):
        notify_action_assigned(action_id=1)


def test_a_network_created_by_someone_outside_it_gets_its_meetings(two, as_app):
    from huddles.models import Meeting
    from networks.services import network_create

    rls.set_scope([two["network"].pk])  # an admin who is a member elsewhere, or of none
    network = network_create(network=NetworkFactory.build(slug="rls-new", name="New"), by=None)
    assert not Meeting.objects.filter(network=network).exists()  # not in this scope
    with rls.network_scope([network.pk]):
        assert Meeting.objects.filter(network=network).exists()
    rls.clear_scope()
