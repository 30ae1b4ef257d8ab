"""core/replica.py's policy, without a replica: which reads may lag, and that writes and
everything that decides access never leave the primary. The real replica, pooler and web
app are in tests/scale/test_replica_pooler.py."""

import logging
import socket
import warnings

import pytest
from django.db import connections

from audit.models import AccessEvent, BreakGlass
from core.replica import REPLICA, ReplicaRouter, read_alias, replica_reads
from governance.models import SubjectAccessRequest
from networks.models import Membership, Network
from patients.models import Patient
from referrals.models import Referral
from reports.models import AdmissionEvent

ROUTER = ReplicaRouter()


def replica_alias(settings, blocker, **changes):
    """DATABASE_REPLICA_URL's alias, as the settings make it, for one test: a second real
    connection to the test database (a replica mirrors it), or elsewhere with `changes`. A
    report's block asks it SELECT 1 before reading from it (core/replica.reachable): these
    tests read nothing but that, outside any test transaction."""
    alias = {**connections.settings["default"], **changes}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Django warns that overriding DATABASES is unusual
        settings.DATABASES = {**settings.DATABASES, REPLICA: alias}
    connections.settings[REPLICA] = alias
    try:
        with blocker.unblock():
            yield settings
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture
def with_replica(settings, django_db_blocker):
    """A replica that answers: the same server's maintenance database (these tests need no
    test database: nothing is read but SELECT 1)."""
    yield from replica_alias(settings, django_db_blocker, NAME="postgres")


@pytest.fixture
def replica_down(settings, django_db_blocker):
    """The replica's alias at a port where nothing listens (a real refused connection)."""
    with socket.socket() as probe:  # a free port, closed again at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield from replica_alias(settings, django_db_blocker, HOST="127.0.0.1", PORT=str(port))


def test_without_a_replica_everything_reads_the_primary():
    with replica_reads():
        assert read_alias() == "default"


def test_in_a_report_people_data_reads_the_replica(with_replica):
    assert read_alias() == "default"  # outside a report
    assert ROUTER.db_for_read(Patient) == "default"
    with replica_reads():
        assert read_alias() == REPLICA
        for model in (Patient, Referral, AdmissionEvent):
            assert ROUTER.db_for_read(model) == REPLICA, model
        # What decides who may see what, and the trail, never lag.
        for model in (Membership, Network, AccessEvent, BreakGlass, SubjectAccessRequest):
            assert ROUTER.db_for_read(model) == "default", model
    assert read_alias() == "default"  # and only inside the block


def test_every_write_goes_to_the_primary_and_the_replica_is_never_migrated(with_replica):
    with replica_reads():
        for model in (Patient, Referral, AccessEvent):
            assert ROUTER.db_for_write(model) == "default"
    assert ROUTER.allow_migrate(REPLICA, "patients") is False
    assert ROUTER.allow_migrate("default", "patients") is True


def test_a_replica_that_does_not_answer_is_left_for_the_primary_and_tried_again_later(
    replica_down, caplog
):
    replica_down.DATABASE_REPLICA_RETRY_SECONDS = 30
    with caplog.at_level(logging.WARNING, logger="core.replica"):
        with replica_reads():
            assert read_alias() == "default"
            assert ROUTER.db_for_read(Patient) == "default"
        assert len(caplog.records) == 1
        assert "reports read from the primary for 30 s" in caplog.records[0].getMessage()
        # Within the retry window it is not asked again (no second warning, no wait).
        with replica_reads():
            assert read_alias() == "default"
        assert len(caplog.records) == 1


def test_a_failed_replica_is_asked_again_after_the_retry_window(replica_down, caplog):
    replica_down.DATABASE_REPLICA_RETRY_SECONDS = 0
    with caplog.at_level(logging.WARNING, logger="core.replica"):
        for _ in range(2):
            with replica_reads():
                assert read_alias() == "default"
    assert len(caplog.records) == 2


def test_a_replica_that_answers_is_read(with_replica):
    with replica_reads():
        assert read_alias() == REPLICA
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
