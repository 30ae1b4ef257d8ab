"""Encounter (UK Core Encounter) from a pharmacist's visit: the mapping, restricted visits,
search, roles, the query count and the round trip (interop/resources/encounter.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.services import break_glass_record
from medicines.models import Visit

from .clinical import bring_in, comparable, export, fhir_time, make_visit, query_count
from .validate import check, entries

pytestmark = pytest.mark.django_db

PROFILE = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Encounter"
R = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
    "code": "R",
    "display": "restricted",
}


def restrict(visit, by):
    Visit.objects.filter(pk=visit.pk).update(
        restricted=True,
        restricted_reason="Safeguarding",
        restricted_by=by,
        restricted_at=timezone.now(),
    )


def test_a_home_visit_as_an_encounter(fhir, member, patient, everyone_involved):
    pharmacist = member("pharmacist")
    nurse = member("community_nurse")
    visit = make_visit(patient, pharmacist, joint_visitor=nurse)
    status, body = fhir(member("gp")).get(f"/fhir/R4/Encounter/{visit.pk}")
    assert status == 200, body
    assert body["meta"]["profile"] == [PROFILE]
    assert "security" not in body["meta"]
    assert body["status"] == "finished"
    assert body["class"] == {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "code": "HH",
        "display": "home health",
    }
    assert body["type"][0]["text"] == "Home visit"
    assert body["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert body["period"]["start"] == fhir_time(visit.visited_at)
    assert [
        (p["type"][0]["coding"][0]["code"], p["individual"]["display"]) for p in body["participant"]
    ] == [("PPRF", pharmacist.get_full_name()), ("SPRF", nurse.get_full_name())]
    assert body["reasonCode"] == [{"text": "Reviewed medicines; stopped the ibuprofen."}]
    assert body["identifier"] == [{"system": "urn:icn:visit", "value": str(visit.pk)}]


def test_a_phone_call_is_a_virtual_encounter(fhir, member, patient, everyone_involved):
    visit = make_visit(patient, member("pharmacist"), kind="phone", summary="")
    status, body = fhir(member("gp")).get(f"/fhir/R4/Encounter/{visit.pk}")
    assert status == 200
    assert (body["class"]["code"], body["type"][0]["text"]) == ("VR", "Phone call")
    assert "reasonCode" not in body


def test_a_restricted_visit_is_labelled_and_sealed_from_other_readers(
    fhir, member, patient, everyone_involved
):
    author = member("pharmacist")
    visit = make_visit(patient, author)
    restrict(visit, author)
    status, body = fhir(author).get(f"/fhir/R4/Encounter/{visit.pk}")
    assert status == 200
    assert body["meta"]["security"] == [R]
    assert body["reasonCode"][0]["text"].startswith("Reviewed medicines")
    gp = member("gp")
    for got in (
        fhir(gp).get(f"/fhir/R4/Encounter/{visit.pk}")[1],
        entries(fhir(gp).get(f"/fhir/R4/Encounter?patient={patient.pk}")[1])[0],
    ):
        assert got["meta"]["security"] == [R]
        assert "reasonCode" not in got
        assert "Safeguarding" not in str(got)
        assert got["period"]["start"] == fhir_time(visit.visited_at)
    # Breaking the glass opens it, as on the REST API.
    break_glass_record(
        by=gp, patient=patient, reason_code="vital_interests", reason="Collapsed", channel="api"
    )
    status, body = fhir(gp).get(f"/fhir/R4/Encounter/{visit.pk}")
    assert body["reasonCode"][0]["text"].startswith("Reviewed medicines")
    assert body["meta"]["security"] == [R]


def test_search_by_patient(fhir, member, patient, everyone_involved):
    from tests.factories import PatientFactory

    pharmacist = member("pharmacist")
    mine = [make_visit(patient, pharmacist), make_visit(patient, pharmacist)]
    make_visit(PatientFactory(network=patient.network), pharmacist)
    status, body = fhir(member("gp")).get(f"/fhir/R4/Encounter?patient={patient.pk}")
    assert status == 200 and body["total"] == 2
    assert [e["id"] for e in entries(body)] == [str(v.pk) for v in mine]
    status, body = fhir(member("gp")).get("/fhir/R4/Encounter?status=finished")
    assert status == 400 and body["issue"][0]["expression"] == ["status"]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("chair", 200),
        ("gp", 200),
        ("pharmacist", 200),
        ("community_nurse", 200),
        ("pic", 403),
        ("manager", 403),
        ("ig_lead", 403),
    ],
)
def test_roles(fhir, member, patient, everyone_involved, role, expected):
    visit = make_visit(patient, member("pharmacist"))
    assert fhir(member(role)).get(f"/fhir/R4/Encounter/{visit.pk}")[0] == expected
    assert fhir(member(role)).get(f"/fhir/R4/Encounter?patient={patient.pk}")[0] == expected


def test_another_networks_visit_is_404(fhir, member, patient, other_network):
    visit = make_visit(patient, member("pharmacist"))
    status, body = fhir(member("chair", net=other_network)).get(f"/fhir/R4/Encounter/{visit.pk}")
    assert status == 404 and body["issue"][0]["code"] == "not-found"


def test_search_queries_do_not_grow_with_visits(fhir, member, patient, everyone_involved):
    pharmacist = member("pharmacist")
    nurse = member("community_nurse")
    restrict(make_visit(patient, pharmacist), pharmacist)
    client = fhir(member("gp"))

    def get():
        return client.get(f"/fhir/R4/Encounter?patient={patient.pk}")

    make_visit(patient, pharmacist, joint_visitor=nurse)
    few, body = query_count(get)
    assert len(entries(body)) == 2
    for i in range(18):
        make_visit(
            patient, pharmacist, joint_visitor=nurse, visited_at=timezone.now() - timedelta(days=i)
        )
    many, body = query_count(get)
    assert len(entries(body)) == 20
    assert many == few


def test_round_trip_into_another_network(member, patient, other_network):
    pharmacist = member("pharmacist")
    make_visit(patient, pharmacist)
    make_visit(patient, pharmacist, kind="video", summary="Checked inhaler technique.")
    restrict(make_visit(patient, pharmacist, kind="phone"), pharmacist)
    sent = export("Encounter", member("chair"), patient=patient)
    for resource in sent:
        check(resource)
    importer = member("pharmacist", net=other_network)
    ctx = bring_in(sent, network=other_network, by=importer)
    assert {v.network_id for v in ctx.refs.values()} == {other_network.pk}
    assert [v.visitor_id for v in ctx.refs.values()] == [importer.pk] * 3
    again = export("Encounter", importer, patient=ctx.patient)
    # The visitor here is who brought the record in (the source's are not members here).
    assert {p["individual"]["display"] for r in again for p in r["participant"]} == {
        importer.get_full_name()
    }
    for resource in again + sent:
        del resource["participant"]
    assert [comparable(r) for r in again] == [comparable(r) for r in sent]
    assert again[2]["meta"]["security"] == [R]


def test_an_encounter_without_a_start_is_refused_and_saves_nothing(member, other_network):
    from interop.outcome import FhirError

    resource = {"resourceType": "Encounter", "id": "1", "status": "finished"}
    with pytest.raises(FhirError) as refused:
        bring_in([resource], network=other_network, by=member("pharmacist", net=other_network))
    assert refused.value.status_code == 422
    assert not Visit.objects.filter(network=other_network).exists()


def test_everything_has_the_visits_and_their_observations(fhir, member, patient, everyone_involved):
    visit = make_visit(patient, member("pharmacist"), pulse=None)
    status, body = fhir(member("gp")).get(f"/fhir/R4/Patient/{patient.pk}/$everything")
    assert status == 200
    assert [e["id"] for e in entries(body, "Encounter")] == [str(visit.pk)]
    assert {e["id"] for e in entries(body, "Observation")} == {
        f"{visit.pk}-{part}" for part in ("bp", "rr", "spo2", "temp", "acvpu", "news2")
    }
    status, body = fhir(member("pic")).get(f"/fhir/R4/Patient/{patient.pk}/$everything")
    assert status == 200
    assert {e["resourceType"] for e in entries(body)} == {"Patient"}
