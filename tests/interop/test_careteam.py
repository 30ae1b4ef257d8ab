"""CareTeam: one per person, its id the person's (interop/resources/careteam.py)."""

import pytest

from interop.registry import REGISTRY
from patients.models import CareTeamMember
from tests.factories import PatientFactory

from .roundtrip import bring_in, comparable, resource_of
from .validate import entries
from .world import care_team_member

pytestmark = pytest.mark.django_db


def test_a_persons_care_team_as_a_uk_core_care_team(fhir, member, patient):
    pharmacist = care_team_member(patient, member, "pharmacist", "Medicines review")
    care_team_member(patient, member, "social_worker")
    status, body = fhir(member("chair")).get(f"/fhir/R4/CareTeam/{patient.pk}")
    assert status == 200
    assert body["id"] == str(patient.pk)
    assert body["meta"]["profile"] == [
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-CareTeam"
    ]
    assert body["status"] == "active"
    assert body["subject"] == {"reference": f"Patient/{patient.pk}"}
    first, second = body["participant"]
    assert first["role"][0]["coding"] == [
        {"system": "urn:icn:role", "code": "pharmacist", "display": "Pharmacist"}
    ]
    assert first["role"][0]["text"] == "Medicines review"
    user = pharmacist.membership.user
    assert first["member"]["display"].startswith(user.get_full_name())
    assert first["member"]["identifier"] == {"system": "urn:icn:user", "value": user.username}
    assert second["role"][0]["coding"][0]["code"] == "social_worker"
    assert second["role"][0]["text"] == "Social worker"


def test_a_person_without_a_care_team_has_none(fhir, member, patient):
    status, _body = fhir(member("chair")).get(f"/fhir/R4/CareTeam/{patient.pk}")
    assert status == 404
    _s, body = fhir(member("chair")).get(f"/fhir/R4/CareTeam?patient={patient.pk}")
    assert body["total"] == 0


def test_search_gives_one_care_team_per_person(fhir, member, patient, network):
    care_team_member(patient, member, "pharmacist")
    care_team_member(patient, member, "gp")
    other = PatientFactory(network=network)
    care_team_member(other, member, "pharmacist")
    PatientFactory(network=network)  # no care team
    client = fhir(member("chair"))
    _s, body = client.get("/fhir/R4/CareTeam")
    assert body["total"] == 2
    assert sorted(e["id"] for e in entries(body)) == sorted([str(patient.pk), str(other.pk)])
    _s, body = client.get(f"/fhir/R4/CareTeam?patient={other.pk}")
    assert [len(e["participant"]) for e in entries(body)] == [1]


def test_the_care_team_follows_its_first_member(fhir, member, patient):
    """The row behind the resource is the first member: it still reads when they leave."""
    first = care_team_member(patient, member, "pharmacist")
    care_team_member(patient, member, "gp")
    first.delete()
    status, body = fhir(member("chair")).get(f"/fhir/R4/CareTeam/{patient.pk}")
    assert status == 200 and len(body["participant"]) == 1
    assert REGISTRY["CareTeam"].row_id("x") is None
    assert fhir(member("chair")).get("/fhir/R4/CareTeam/" + "9" * 30)[0] == 404


@pytest.mark.parametrize(
    ("role", "expected"), [("pic", 200), ("manager", 403), ("partner_system", 403)]
)
def test_who_reads_a_care_team_as_the_persons_page_shows_it(fhir, member, patient, role, expected):
    care_team_member(patient, member, "pharmacist")
    assert fhir(member(role)).get(f"/fhir/R4/CareTeam/{patient.pk}")[0] == expected


def test_another_networks_care_team_is_404(fhir, member, foreign_patient, other_network):
    care_team_member(foreign_patient, lambda role, net=None: member(role, net=other_network))
    assert fhir(member("chair")).get(f"/fhir/R4/CareTeam/{foreign_patient.pk}")[0] == 404


def test_search_query_count_does_not_grow_with_rows(
    fhir, member, network, django_assert_max_num_queries
):
    client = fhir(member("chair"))
    for person in PatientFactory.create_batch(2, network=network):
        care_team_member(person, member, "pharmacist")
        care_team_member(person, member, "gp")
    with django_assert_max_num_queries(12) as few:
        client.get("/fhir/R4/CareTeam")
    for person in PatientFactory.create_batch(18, network=network):
        care_team_member(person, member, "pharmacist")
        care_team_member(person, member, "gp")
    with django_assert_max_num_queries(len(few.captured_queries)):
        _s, body = client.get("/fhir/R4/CareTeam")
    assert len(entries(body)) == 20


def test_a_care_team_brought_into_another_network_reads_the_same(
    member, patient, foreign_patient, network, other_network
):
    """Members of both networks (the same user) join the person's care team there; someone
    who is not a member there is left out."""
    care_team_member(patient, member, "pharmacist", "Medicines review")
    care_team_member(patient, member, "social_worker")
    sent = resource_of("CareTeam", patient.care_team.order_by("pk").first(), member("chair"))
    for role in ("pharmacist", "social_worker"):
        member(role, net=other_network, username=f"{role}.{network.slug}")
    importer = member("chair", net=other_network)
    added = bring_in("CareTeam", sent, network=other_network, by=importer, patient=foreign_patient)
    assert [m.membership.network for m in added] == [other_network, other_network]
    back = resource_of("CareTeam", added[0], importer)
    assert comparable(back) == comparable(sent)


def test_participants_who_are_not_members_here_are_left_out(
    member, patient, foreign_patient, other_network
):
    care_team_member(patient, member, "pharmacist")
    sent = resource_of("CareTeam", patient.care_team.get(), member("chair"))
    added = bring_in(
        "CareTeam",
        sent,
        network=other_network,
        by=member("chair", net=other_network),
        patient=foreign_patient,
    )
    assert added == [] and not CareTeamMember.objects.filter(patient=foreign_patient).exists()
