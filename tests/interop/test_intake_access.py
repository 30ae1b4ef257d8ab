"""``POST /fhir/R4/`` (the referral intake) for every role of networks.roles.Role: the roles
that may refer (casework roles and partner systems, tests/access_rules.py REFERRERS) refer a
new person and the intake is on the trail; every other role gets 403 and nothing is saved.
Care home staff refer their own home's residents only (POST /api/v1/referrals/'s rule): a
new person is not one, so 403; one of their residents, 200."""

from datetime import date

import pytest

from audit.models import AccessEvent
from networks.roles import Role
from patients.models import Patient
from referrals.models import Referral
from tests.access_rules import REFERRERS
from tests.factories import PatientFactory

from .intake_bundles import EXAMPLE_NHS, bundle

pytestmark = pytest.mark.django_db

ROLES = [r.value for r in Role]


def test_the_referrers_are_roles():
    assert set(ROLES) >= REFERRERS and "partner_system" in REFERRERS


@pytest.mark.parametrize("role", ROLES)
def test_intake_by_role(fhir, member, role):
    user = member(role)
    before = (Patient.objects.count(), Referral.objects.count(), AccessEvent.objects.count())
    status, body = fhir(user).post("/fhir/R4/", bundle())
    if role in REFERRERS:
        assert status == 200, body
        person = Patient.objects.get(nhs_number=EXAMPLE_NHS)
        assert Referral.objects.get(patient=person).referred_by == user
        event = AccessEvent.objects.get(patient=person)
        assert (event.what, event.channel, event.role) == ("fhir_intake", "api", role)
    else:
        assert status == 403, body
        assert body["issue"][0]["code"] == "forbidden"
        after = (Patient.objects.count(), Referral.objects.count(), AccessEvent.objects.count())
        assert after == before


def test_care_home_staff_refer_their_own_residents(fhir, member, network):
    staff = member("care_home_staff")
    home = staff.memberships.get().care_home
    PatientFactory(
        network=network, nhs_number=EXAMPLE_NHS, date_of_birth=date(1970, 9, 11), care_home=home
    )
    status, body = fhir(staff).post("/fhir/R4/", bundle())
    assert status == 200, body
    assert Referral.objects.get().referred_by == staff
