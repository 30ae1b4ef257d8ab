"""core/replica.py's policy, without a replica: which reads may lag, and that writes and
everything that decides access never leave the primary. The real replica, pooler and web
app are in tests/scale/test_replica_pooler.py."""

import warnings

import pytest

from audit.models import AccessEvent, BreakGlass
from core.replica import REPLICA, ReplicaRouter, read_alias, replica_reads
from governance.models import SubjectAccessRequest
from networks.models import Membership, Network
from patients.models import Patient
from referrals.models import Referral
from reports.models import AdmissionEvent

ROUTER = ReplicaRouter()


@pytest.fixture
def with_replica(settings):
    """DATABASE_REPLICA_URL's alias in the settings (the router asks only whether it is
    there; no connection is made)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Django warns that overriding DATABASES is unusual
        settings.DATABASES = {**settings.DATABASES, REPLICA: dict(settings.DATABASES["default"])}
    return settings


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
