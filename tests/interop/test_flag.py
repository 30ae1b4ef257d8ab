"""Flag from a red flag on a person (interop/resources/flag.py), and the catalogue's SNOMED
CT codes (referrals/catalogue.py, migration 0012; the built-in services' codes)."""

import datetime

import pytest
from django.utils import timezone

from interop.outcome import FhirError
from referrals.catalogue import FLAGS, SERVICE_SNOMED, ensure_red_flags
from referrals.models import SNOMED_CODE, PatientFlag, RedFlag, ServiceConfig
from referrals.services import network_created
from tests.factories import NetworkFactory, PatientFactory

from .roundtrip import bring_in, comparable, resource_of
from .validate import entries
from .world import patient_flag

pytestmark = pytest.mark.django_db

SNOMED = "http://snomed.info/sct"


def test_the_catalogue_carries_snomed_codes_where_sure():
    coded = dict(RedFlag.objects.exclude(snomed_code="").values_list("code", "snomed_code"))
    assert coded == {
        "fall": "161898004",
        "pressure_damage": "399912005",
        "memory_concerns": "386807006",
        "loneliness": "422650009",
    }
    for _code, *_rest, snomed in FLAGS:
        if snomed:
            SNOMED_CODE(snomed)  # raises on a malformed code
    for snomed in SERVICE_SNOMED.values():
        SNOMED_CODE(snomed)


def test_a_flag_inserted_anew_gets_its_snomed_code():
    RedFlag.objects.filter(code="fall").delete()
    ensure_red_flags()
    assert RedFlag.objects.get(code="fall").snomed_code == "161898004"


def test_a_new_network_starts_with_the_services_snomed_codes(member):
    network = NetworkFactory(slug="new-one")
    network_created(network=network, by=None)
    codes = dict(
        ServiceConfig.objects.filter(network=network).values_list("service", "snomed_code")
    )
    assert codes["physiotherapy"] == "308447003"
    assert codes["medicines_optimisation"] == "306362008"
    assert codes["mdt"] == ""  # none is sure


def test_a_red_flag_as_a_uk_core_flag(fhir, member, patient):
    row = patient_flag(patient, member)
    status, body = fhir(member("chair")).get(f"/fhir/R4/Flag/{row.pk}")
    assert status == 200
    assert body["meta"]["profile"] == ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Flag"]
    assert body["status"] == "active"
    assert body["code"]["coding"] == [
        {"system": SNOMED, "code": "161898004"},
        {"system": "urn:icn:red-flag", "code": "fall", "display": "Has fallen"},
    ]
    assert body["category"][0]["coding"][0]["code"] == "health"
    assert body["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert "end" not in body["period"]


def test_a_flag_without_a_snomed_code_names_only_icns(fhir, member, patient):
    row = patient_flag(patient, member, code="no_heating")
    _s, body = fhir(member("chair")).get(f"/fhir/R4/Flag/{row.pk}")
    assert [c["system"] for c in body["code"]["coding"]] == ["urn:icn:red-flag"]


def test_a_resolved_flag_is_inactive_with_its_end(fhir, member, patient):
    row = patient_flag(patient, member, resolved_at=timezone.now(), resolved_by=member("gp"))
    _s, body = fhir(member("chair")).get(f"/fhir/R4/Flag/{row.pk}")
    assert body["status"] == "inactive" and body["period"]["end"]


def test_search_by_status_and_code(fhir, member, patient):
    active = patient_flag(patient, member)
    resolved = patient_flag(
        patient, member, code="loneliness", resolved_at=timezone.now(), resolved_by=member("gp")
    )
    client = fhir(member("chair"))
    _s, body = client.get("/fhir/R4/Flag?status=active")
    assert [e["id"] for e in entries(body)] == [str(active.pk)]
    _s, body = client.get("/fhir/R4/Flag?status=inactive")
    assert [e["id"] for e in entries(body)] == [str(resolved.pk)]
    _s, body = client.get(f"/fhir/R4/Flag?code={SNOMED}|422650009")
    assert [e["id"] for e in entries(body)] == [str(resolved.pk)]
    _s, body = client.get("/fhir/R4/Flag?code=urn:icn:red-flag|fall")
    assert [e["id"] for e in entries(body)] == [str(active.pk)]
    for query in ("status=resolved", "code=urn:other|fall"):
        status, body = client.get(f"/fhir/R4/Flag?{query}")
        assert status == 400 and body["issue"][0]["expression"] == [query.split("=")[0]]


@pytest.mark.parametrize(
    ("role", "expected"),
    [("pic", 200), ("care_home_staff", 403), ("manager", 403), ("partner_system", 403)],
)
def test_who_reads_a_flag_as_the_persons_page_shows_it(fhir, member, patient, role, expected):
    """Every role that opens the person sees their red flags; a role that opens no records
    (or not this person: care home staff, for someone not in their home) gets 403."""
    row = patient_flag(patient, member)
    assert fhir(member(role)).get(f"/fhir/R4/Flag/{row.pk}")[0] == expected


def test_another_networks_flag_is_404(fhir, member, foreign_patient, other_network):
    row = patient_flag(foreign_patient, lambda role: member(role, net=other_network))
    assert fhir(member("chair")).get(f"/fhir/R4/Flag/{row.pk}")[0] == 404


def test_search_query_count_does_not_grow_with_rows(
    fhir, member, network, django_assert_max_num_queries
):
    client = fhir(member("chair"))
    for person in PatientFactory.create_batch(2, network=network):
        patient_flag(person, member)
    with django_assert_max_num_queries(12) as few:
        client.get("/fhir/R4/Flag")
    for person in PatientFactory.create_batch(18, network=network):
        patient_flag(person, member)
    with django_assert_max_num_queries(len(few.captured_queries)):
        _s, body = client.get("/fhir/R4/Flag")
    assert len(entries(body)) == 20


@pytest.mark.parametrize("resolved", [False, True])
def test_a_flag_brought_into_another_network_reads_the_same(
    member, patient, foreign_patient, other_network, resolved
):
    raised = timezone.now() - datetime.timedelta(days=20)
    row = patient_flag(
        patient,
        member,
        resolved_at=raised + datetime.timedelta(days=5) if resolved else None,
        resolved_by=member("gp") if resolved else None,
    )
    PatientFlag.objects.filter(pk=row.pk).update(raised_at=raised)
    row.refresh_from_db()
    sent = resource_of("Flag", row, member("chair"))
    importer = member("chair", net=other_network)
    new = bring_in("Flag", sent, network=other_network, by=importer, patient=foreign_patient)
    assert (new.patient, new.raised_by, new.raised_at) == (foreign_patient, importer, raised)
    back = resource_of("Flag", PatientFlag.objects.get(pk=new.pk), importer)
    assert comparable(back) == comparable(sent)


def test_a_flag_icn_does_not_know_is_refused_and_nothing_saved(
    member, foreign_patient, other_network
):
    resource = {
        "resourceType": "Flag",
        "status": "active",
        "code": {"coding": [{"system": SNOMED, "code": "1234567"}]},
        "subject": {"reference": "Patient/1"},
    }
    with pytest.raises(FhirError) as refused:
        bring_in(
            "Flag",
            resource,
            network=other_network,
            by=member("chair", net=other_network),
            patient=foreign_patient,
        )
    assert refused.value.status_code == 422
    assert not PatientFlag.objects.exists()


def test_an_active_flag_twice_is_refused(member, patient, foreign_patient, other_network):
    sent = resource_of("Flag", patient_flag(patient, member), member("chair"))
    importer = member("chair", net=other_network)
    bring_in("Flag", sent, network=other_network, by=importer, patient=foreign_patient)
    with pytest.raises(FhirError) as refused:
        bring_in("Flag", sent, network=other_network, by=importer, patient=foreign_patient)
    assert refused.value.status_code == 422
    assert PatientFlag.objects.filter(patient=foreign_patient).count() == 1
