"""The FHIR read of a referral or a task answers each role as the REST API does for the same
row (200, 403 or 404): the two cannot drift apart."""

import pytest

from .world import referral, task

pytestmark = pytest.mark.django_db

# Roles whose answer differs across these rows: clinical roles read all, the PIC only the PIC
# service's referrals and their own queue, the others neither.
ROLES = [
    "chair",
    "gp",
    "pharmacist",
    "pic",
    "manager",
    "ig_lead",
    "care_home_staff",
    "partner_system",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("service", ["physiotherapy", "pic"])
def test_a_referral_reads_as_the_rest_api_allows(
    api, fhir, member, patient, everyone_involved, role, service
):
    user = member(role)
    row = referral(patient, member, service=service)
    rest = api(user).get(f"/api/v1/referrals/{row.pk}/").status_code
    assert rest in (200, 403)
    assert fhir(user).get(f"/fhir/R4/ServiceRequest/{row.pk}")[0] == rest


def test_a_partner_systems_own_referral_reads_as_the_rest_api_allows(api, fhir, member, patient):
    partner = member("partner_system")
    row = referral(patient, member, referred_by=partner)
    assert api(partner).get(f"/api/v1/referrals/{row.pk}/").status_code == 200
    assert fhir(partner).get(f"/fhir/R4/ServiceRequest/{row.pk}")[0] == 200


def test_another_networks_referral_is_404_in_both(
    api, fhir, member, foreign_patient, other_network
):
    row = referral(foreign_patient, lambda role: member(role, net=other_network))
    chair = member("chair")
    assert api(chair).get(f"/api/v1/referrals/{row.pk}/").status_code == 404
    assert fhir(chair).get(f"/fhir/R4/ServiceRequest/{row.pk}")[0] == 404


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("queue", ["pharmacist", "pic"])
def test_a_task_reads_as_the_rest_api_allows(
    api, fhir, member, patient, everyone_involved, role, queue
):
    user = member(role)
    row = task(patient, member, assignee_role=queue)
    rest = api(user).get(f"/api/v1/tasks/{row.pk}/").status_code
    assert rest in (200, 403)
    assert fhir(user).get(f"/fhir/R4/Task/{row.pk}")[0] == rest
