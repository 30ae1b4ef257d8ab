"""Smoke test of the load test (loadtest/): the Member and Pharmacist journeys, run once each
with `requests` against a live server, so that a change to a URL or to the visit form breaks
here rather than in the middle of a load test.

The journeys live in loadtest/journeys.py, which the locustfile drives; importing the
locustfile itself would let gevent patch the test process. The data is the suite's
factories (a person in the network, a GP and a pharmacist), not seed_demo, which alone
takes longer than this test may."""

import pytest

from loadtest import journeys
from medicines.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-good-long-password"  # tests/factories.py UserFactory


def test_member_and_pharmacist_journeys(live_server, member, patient):
    gp, pharmacist = member("gp"), member("pharmacist")

    client = journeys.Session(live_server.url, timeout=10)
    journeys.log_in(client, gp.username, PASSWORD)
    patients = journeys.patient_ids(client)
    assert patients == [patient.pk]
    journeys.member_my_work(client)
    journeys.member_bell(client)
    journeys.member_person(client, patients)

    # The pharmacist records clinical detail only for people whose care they are in.
    from networks.models import Membership
    from patients.services import care_team_add

    care_team_add(patient=patient, membership=Membership.objects.get(user=pharmacist), by=gp)
    client = journeys.Session(live_server.url, timeout=10)
    journeys.log_in(client, pharmacist.username, PASSWORD)
    assert journeys.involved_patient_ids(client) == [patient.pk]
    journeys.pharmacist_log_visit(client, journeys.involved_patient_ids(client))
    assert Visit.objects.filter(patient=patient, visitor=pharmacist).count() == 1
