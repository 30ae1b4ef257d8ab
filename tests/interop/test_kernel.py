"""The FHIR server's kernel: authentication, errors as OperationOutcome, search and read
rules, the access trail, the CapabilityStatement, and Patient (interop/views.py, registry.py)."""

import pytest

from audit.models import AccessEvent
from interop.registry import REGISTRY
from tests.factories import PatientFactory

from .validate import entries

pytestmark = pytest.mark.django_db

NHS = "https://fhir.nhs.uk/Id/nhs-number"


def test_metadata_lists_every_registered_type_with_its_profile(fhir):
    status, body = fhir().get("/fhir/R4/metadata")
    assert status == 200
    assert body["resourceType"] == "CapabilityStatement"
    assert body["fhirVersion"] == "4.0.1"
    listed = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert set(listed) == set(REGISTRY)
    assert listed["Patient"]["profile"].endswith("UKCore-Patient")
    assert listed["Patient"]["operation"][0]["name"] == "everything"


def test_no_token_is_401_as_an_operation_outcome(fhir, patient):
    status, body = fhir().get(f"/fhir/R4/Patient/{patient.pk}")
    assert status == 401
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "login"


def test_patient_read_names_the_nhs_number_and_gp_practice(fhir, member, patient):
    from tests.factories import OrganisationFactory

    practice = OrganisationFactory(code="H81001", name="Parkside Surgery", kind="gp_practice")
    patient.gp_practice = practice
    patient.phone = "020 7946 0001"
    patient.address = "1 High Street\nCroydon"
    patient.postcode = "CR7 8AA"
    patient.save()
    status, body = fhir(member("gp")).get(f"/fhir/R4/Patient/{patient.pk}")
    assert status == 200
    assert body["meta"]["profile"] == ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]
    assert body["identifier"] == [{"system": NHS, "value": patient.nhs_number}]
    assert body["name"][0]["family"] == "Okafor"
    assert body["birthDate"] == patient.date_of_birth.isoformat()
    assert body["address"][0]["line"] == ["1 High Street", "Croydon"]
    assert body["generalPractitioner"][0]["identifier"]["value"] == "H81001"


def test_a_read_and_a_search_are_in_the_access_trail(fhir, member, patient):
    gp = member("gp")
    fhir(gp).get(f"/fhir/R4/Patient/{patient.pk}")
    fhir(gp).get(f"/fhir/R4/Patient?identifier={NHS}|{patient.nhs_number}")
    events = AccessEvent.objects.filter(user=gp, patient=patient).order_by("id")
    assert [(e.what, e.channel, e.outcome) for e in events] == [
        ("fhir_patient", "api", "allowed"),
        ("fhir_patient_search", "api", "allowed"),
    ]


def test_search_by_nhs_number_finds_only_the_callers_networks(
    fhir, member, patient, foreign_patient
):
    client = fhir(member("gp"))
    status, body = client.get(f"/fhir/R4/Patient?identifier={NHS}|{patient.nhs_number}")
    assert status == 200 and body["type"] == "searchset" and body["total"] == 1
    assert entries(body)[0]["id"] == str(patient.pk)
    status, body = client.get(f"/fhir/R4/Patient?identifier={NHS}|{foreign_patient.nhs_number}")
    assert status == 200 and body["total"] == 0


def test_another_networks_person_is_404_and_recorded(fhir, member, foreign_patient):
    gp = member("gp")
    status, body = fhir(gp).get(f"/fhir/R4/Patient/{foreign_patient.pk}")
    assert status == 404 and body["issue"][0]["code"] == "not-found"
    event = AccessEvent.objects.get(user=gp)
    assert (event.outcome, event.what, event.patient_id) == ("not_found", "fhir_patient", None)


def test_a_role_that_opens_no_records_is_403(fhir, member, patient):
    manager = member("manager")
    status, body = fhir(manager).get(f"/fhir/R4/Patient/{patient.pk}")
    assert status == 403 and body["issue"][0]["code"] == "forbidden"
    assert AccessEvent.objects.get(user=manager).outcome == "denied"


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ("identifier=urn:other|123", "identifier"),
        ("identifier=12345", "identifier"),
        ("birthdate=yesterday", "birthdate"),
        ("_count=0", "_count"),
        ("_count=500", "_count"),
        ("_page=x", "_page"),
        ("colour=blue", "colour"),
    ],
)
def test_bad_search_parameters_are_400_naming_the_parameter(fhir, member, query, where):
    status, body = fhir(member("gp")).get(f"/fhir/R4/Patient?{query}")
    assert status == 400
    assert body["issue"][0]["expression"] == [where]


def test_unknown_types_and_interactions_are_404_outcomes(fhir, member, patient):
    client = fhir(member("gp"))
    assert client.get("/fhir/R4/Practitioner")[0] == 404
    status, body = client.get(f"/fhir/R4/Patient/{patient.pk}/_history")
    assert status == 404 and body["resourceType"] == "OperationOutcome"


def test_search_pages_with_next_links(fhir, member, network):
    PatientFactory.create_batch(5, network=network)
    client = fhir(member("gp"))
    _status, body = client.get("/fhir/R4/Patient?_count=2")
    assert body["total"] == 5 and len(entries(body)) == 2
    links = {link["relation"]: link["url"] for link in body["link"]}
    assert "_page=2" in links["next"]
    _status, last = client.get("/fhir/R4/Patient?_count=2&_page=3")
    assert len(entries(last)) == 1
    assert "next" not in {link["relation"] for link in last["link"]}


def test_search_query_count_does_not_grow_with_rows(
    fhir, member, network, django_assert_max_num_queries
):
    client = fhir(member("gp"))
    PatientFactory.create_batch(2, network=network)
    with django_assert_max_num_queries(12) as few:
        client.get("/fhir/R4/Patient")
    PatientFactory.create_batch(20, network=network)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/fhir/R4/Patient")


def test_everything_is_a_searchset_starting_with_the_patient(fhir, member, patient):
    status, body = fhir(member("chair")).get(f"/fhir/R4/Patient/{patient.pk}/$everything")
    assert status == 200 and body["type"] == "searchset"
    assert entries(body)[0]["resourceType"] == "Patient"
    assert AccessEvent.objects.filter(what="fhir_everything", patient=patient).count() == 1


def test_everything_of_another_networks_person_is_404(fhir, member, foreign_patient):
    status, body = fhir(member("chair")).get(f"/fhir/R4/Patient/{foreign_patient.pk}/$everything")
    assert status == 404 and body["resourceType"] == "OperationOutcome"
