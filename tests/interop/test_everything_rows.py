"""``Patient/{id}/$everything`` carries referrals, red flags, tasks, episodes and the care
team on each type's own rules: the PIC's Bundle leaves out the referrals and tasks the REST
API does not show them."""

import pytest

from .validate import entries
from .world import care_team_member, episode, patient_flag, referral, task

pytestmark = pytest.mark.django_db


def test_everything_holds_each_type_as_its_rules_allow(fhir, member, patient, everyone_involved):
    to_physio = referral(patient, member)
    to_pic = referral(patient, member, service="pic")
    flag = patient_flag(patient, member)
    pharmacists = task(patient, member)
    pics = task(patient, member, assignee_role="pic")
    stay = episode(patient)
    care_team_member(patient, member, "pharmacist")

    def ids(user):
        status, body = fhir(user).get(f"/fhir/R4/Patient/{patient.pk}/$everything")
        assert status == 200
        return {(r["resourceType"], r["id"]) for r in entries(body)}

    common = {
        ("Patient", str(patient.pk)),
        ("CareTeam", str(patient.pk)),
        ("EpisodeOfCare", str(stay.pk)),
        ("Flag", str(flag.pk)),
        ("ServiceRequest", str(to_pic.pk)),
        ("Task", str(pics.pk)),
    }
    chair = ids(member("chair"))
    assert chair >= common | {
        ("ServiceRequest", str(to_physio.pk)),
        ("Task", str(pharmacists.pk)),
    }
    pic = ids(member("pic"))
    assert common <= pic
    assert ("ServiceRequest", str(to_physio.pk)) not in pic
    assert ("Task", str(pharmacists.pk)) not in pic
