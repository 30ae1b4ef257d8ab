"""Network isolation enforced by PostgreSQL for committed rows (core/rls.py, docs/adr/0006):
a connection of its own that logs in as the application's role, and a real Celery worker
connecting as it, see only the scope they set; a system sweep sees every network.

These tests commit (transactional_db), so they live apart from tests/core/test_rls.py, whose
module-wide world is one open transaction: beside it, nothing they write would be committed
and their flush would meet its pending trigger events."""

import json
import uuid

import psycopg
import pytest
import redis
from django.conf import settings

from tests.factories import NetworkFactory, PatientFactory
from tests.workers import solo_worker, wait_for

from .test_rls import APP_ROLE, app_url, ensure_app_role


def _committed_networks():
    a = NetworkFactory(slug="rls-a", name="RLS A")
    b = NetworkFactory(slug="rls-b", name="RLS B")
    PatientFactory.create_batch(2, network=a)
    PatientFactory.create_batch(3, network=b)
    return a, b


def test_a_connection_of_the_application_role_sees_nothing_unscoped_and_only_its_scope(
    transactional_db,
):
    ensure_app_role()
    a, b = _committed_networks()
    with psycopg.connect(app_url(), autocommit=True) as conn:

        def networks() -> list[int]:
            rows = conn.execute("SELECT DISTINCT network_id FROM patients_patient ORDER BY 1")
            return [row[0] for row in rows]

        assert conn.execute("SELECT current_user").fetchone()[0] == APP_ROLE
        assert networks() == []
        conn.execute("SELECT set_config('icn.networks', %s, false)", [str(a.pk)])
        assert networks() == [a.pk]
        conn.execute("SELECT set_config('icn.scope_all', 'on', false)")
        assert networks() == sorted([a.pk, b.pk])


@pytest.fixture
def app_worker(transactional_db):
    """A real Celery worker on the Redis broker, connecting as the application's role."""
    ensure_app_role()
    with solo_worker(app_url(), "-I", "tests.core.rls_probe") as proc:
        yield proc


def test_a_task_for_one_network_sees_only_it_and_a_system_sweep_sees_all(app_worker):
    from tests.core.rls_probe import rls_probe, rls_probe_system

    a, b = _committed_networks()
    store = redis.Redis.from_url(settings.REDIS_URL)
    scoped, system = f"rls-probe-{uuid.uuid4()}", f"rls-probe-{uuid.uuid4()}"
    rls_probe.delay(key=scoped, network_id=a.pk)
    rls_probe_system.delay(key=system)
    found = wait_for(lambda: store.get(scoped) and store.get(system), timeout=60, interval=0.2)
    if not found:
        app_worker.terminate()
        output = app_worker.communicate(timeout=20)[0].decode(errors="replace")
        pytest.fail(f"the worker ran no probe within 60 s:\n{output[-3000:]}")
    one, every = json.loads(store.get(scoped)), json.loads(store.get(system))
    assert one["current_user"] == every["current_user"] == APP_ROLE
    assert one["patients"] == [a.pk] and one["patient_count"] == 2
    assert every["patients"] == sorted([a.pk, b.pk]) and every["patient_count"] == 5
