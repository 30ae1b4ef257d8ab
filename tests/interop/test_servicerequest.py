"""ServiceRequest from a referral (interop/resources/servicerequest.py): the mapping, the
search parameters, the REST referral API's access rules (a partner system reads only its
own), a fixed number of queries, and bringing a referral into another network."""

import datetime

import pytest
from django.utils import timezone

from interop.outcome import FhirError
from referrals.models import Referral, ServiceConfig
from tests.factories import OrganisationFactory, PatientFactory

from .roundtrip import bring_in, comparable, resource_of
from .validate import entries
from .world import referral

pytestmark = pytest.mark.django_db

SNOMED = "http://snomed.info/sct"


def test_a_referral_as_a_uk_core_service_request(fhir, member, patient, network):
    ServiceConfig.objects.create(
        network=network,
        service="physiotherapy",
        label="Falls and mobility",
        serving_roles=["physiotherapist"],
        snomed_code="308447003",
    )
    made = referral(
        patient,
        member,
        urgency="urgent",
        external_system="https://trust.example/referrals",
        external_id="R-1001",
    )
    status, body = fhir(member("chair")).get(f"/fhir/R4/ServiceRequest/{made.pk}")
    assert status == 200
    assert body["meta"]["profile"] == [
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-ServiceRequest"
    ]
    assert body["status"] == "active" and body["intent"] == "order"
    assert body["priority"] == "urgent"
    assert body["code"]["coding"] == [
        {"system": "urn:icn:service", "code": "physiotherapy", "display": "Falls and mobility"},
        {"system": SNOMED, "code": "308447003"},
    ]
    assert body["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert body["reasonCode"] == [{"text": made.reason}]
    assert body["identifier"] == [
        {"system": "urn:icn:referral", "value": str(made.pk)},
        {"system": "https://trust.example/referrals", "value": "R-1001"},
    ]
    assert body["requester"]["display"] == made.referred_by.get_full_name()
    assert body["performerType"] == {"text": "Falls and mobility"}
    assert "note" not in body


def test_a_referrer_outside_icn_is_named_with_their_organisation(fhir, member, patient):
    trust = OrganisationFactory(code="RJ1", name="St Thomas' Hospital")
    made = referral(patient, member, source_organisation=trust, source_contact="Ward 7 nurse")
    _status, body = fhir(member("chair")).get(f"/fhir/R4/ServiceRequest/{made.pk}")
    assert body["requester"] == {"display": "Ward 7 nurse, St Thomas' Hospital"}
    assert [c["system"] for c in body["code"]["coding"]] == ["urn:icn:service"]  # no SNOMED set


@pytest.mark.parametrize(
    ("status", "fields", "fhir_status", "notes"),
    [
        ("accepted", {"triaged_at": True}, "active", ["Accepted"]),
        (
            "declined",
            {"triaged_at": True, "decline_reason": "outside_area", "decline_note": "Lewisham"},
            "revoked",
            ["Declined: Outside the area. Lewisham"],
        ),
        (
            "completed",
            {"triaged_at": True, "closed_at": True, "outcome": "Strength and balance class"},
            "completed",
            ["Accepted", "Completed: Strength and balance class"],
        ),
        ("withdrawn", {"closed_at": True}, "revoked", ["Withdrawn"]),
    ],
)
def test_each_status_and_its_triage_and_outcome(
    fhir, member, patient, status, fields, fhir_status, notes
):
    now = timezone.now()
    values = {k: (now if v is True else v) for k, v in fields.items()}
    made = referral(patient, member, status=status, **values)
    _status, body = fhir(member("chair")).get(f"/fhir/R4/ServiceRequest/{made.pk}")
    assert body["status"] == fhir_status
    assert [n["text"] for n in body["note"]] == notes
    assert all("time" in n for n in body["note"])


def test_search_by_status_and_by_the_partners_identifier(fhir, member, patient, network):
    partner = member("partner_system")
    mine = referral(
        patient,
        member,
        referred_by=partner,
        external_system="https://trust.example/referrals",
        external_id="R-7",
    )
    other = PatientFactory(network=network)
    done = referral(
        other,
        member,
        service="gp",
        status="completed",
        triaged_at=timezone.now(),
        closed_at=timezone.now(),
    )
    chair = fhir(member("chair"))
    _s, body = chair.get("/fhir/R4/ServiceRequest?status=completed")
    assert [e["id"] for e in entries(body)] == [str(done.pk)]
    _s, body = chair.get("/fhir/R4/ServiceRequest?status=active")
    assert [e["id"] for e in entries(body)] == [str(mine.pk)]
    _s, body = fhir(partner).get(
        "/fhir/R4/ServiceRequest?identifier=https://trust.example/referrals|R-7"
    )
    assert body["total"] == 1 and entries(body)[0]["id"] == str(mine.pk)
    _s, body = chair.get(f"/fhir/R4/ServiceRequest?identifier=urn:icn:referral|{done.pk}")
    assert [e["id"] for e in entries(body)] == [str(done.pk)]
    _s, body = chair.get("/fhir/R4/ServiceRequest?identifier=https://other.example|R-7")
    assert body["total"] == 0


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ("status=open", "status"),
        ("identifier=urn:icn:referral|x", "identifier"),
        ("identifier=urn:icn:referral|" + "9" * 30, "identifier"),
        ("identifier=urn:icn:referral|", "identifier"),
    ],
)
def test_bad_search_values_are_400(fhir, member, query, where):
    status, body = fhir(member("chair")).get(f"/fhir/R4/ServiceRequest?{query}")
    assert status == 400 and body["issue"][0]["expression"] == [where]


def test_a_partner_system_reads_only_the_referrals_it_made(
    fhir, member, patient, foreign_patient, other_network
):
    partner = member("partner_system")
    own = referral(patient, member, referred_by=partner)
    someone_elses = referral(patient, member, service="gp")
    foreign = referral(foreign_patient, lambda role: member(role, net=other_network), service="gp")
    client = fhir(partner)
    assert client.get(f"/fhir/R4/ServiceRequest/{own.pk}")[0] == 200
    assert client.get(f"/fhir/R4/ServiceRequest/{someone_elses.pk}")[0] == 403
    assert client.get(f"/fhir/R4/ServiceRequest/{foreign.pk}")[0] == 404
    _s, body = client.get("/fhir/R4/ServiceRequest")
    assert [e["id"] for e in entries(body)] == [str(own.pk)]


def test_the_pic_reads_the_pic_services_referrals_not_others(fhir, member, patient):
    to_pic = referral(patient, member, service="pic")
    to_physio = referral(patient, member)
    pic = fhir(member("pic"))
    assert pic.get(f"/fhir/R4/ServiceRequest/{to_pic.pk}")[0] == 200
    assert pic.get(f"/fhir/R4/ServiceRequest/{to_physio.pk}")[0] == 403
    _s, body = pic.get(f"/fhir/R4/ServiceRequest?patient={patient.pk}")
    assert [e["id"] for e in entries(body)] == [str(to_pic.pk)]


def test_search_query_count_does_not_grow_with_rows(
    fhir, member, network, django_assert_max_num_queries
):
    client = fhir(member("chair"))
    for person in PatientFactory.create_batch(2, network=network):
        referral(person, member)
    with django_assert_max_num_queries(14) as few:
        _s, body = client.get("/fhir/R4/ServiceRequest")
    assert len(entries(body)) == 2
    for person in PatientFactory.create_batch(18, network=network):
        referral(person, member)
    with django_assert_max_num_queries(len(few.captured_queries)):
        _s, body = client.get("/fhir/R4/ServiceRequest")
    assert len(entries(body)) == 20


@pytest.mark.parametrize("status", ["new", "accepted", "declined", "completed", "withdrawn"])
def test_a_referral_brought_into_another_network_reads_the_same(
    member, patient, foreign_patient, other_network, status
):
    earlier = timezone.now() - datetime.timedelta(days=10)
    fields = {
        "new": {},
        "accepted": {"triaged_at": earlier},
        "declined": {"triaged_at": earlier, "decline_reason": "other", "decline_note": "Moved"},
        "completed": {"triaged_at": earlier, "closed_at": earlier, "outcome": "Seen twice"},
        "withdrawn": {"triaged_at": earlier, "closed_at": earlier},
    }[status]
    made = referral(
        patient,
        member,
        status=status,
        urgency="urgent",
        external_system="https://trust.example/referrals",
        external_id="R-9",
        **fields,
    )
    Referral.objects.filter(pk=made.pk).update(created_at=earlier)
    made.refresh_from_db()
    chair = member("chair")
    sent = resource_of("ServiceRequest", made, chair)
    importer = member("chair", net=other_network)
    row = bring_in(
        "ServiceRequest", sent, network=other_network, by=importer, patient=foreign_patient
    )
    assert (row.network, row.patient, row.referred_by) == (other_network, foreign_patient, importer)
    assert row.status == status and row.created_at == earlier
    back = resource_of("ServiceRequest", Referral.objects.get(pk=row.pk), importer)
    assert back["requester"]["display"] == sent["requester"]["display"]
    assert comparable(back) == comparable(sent)


def test_a_resource_without_icns_service_code_is_refused_and_nothing_saved(
    member, foreign_patient, other_network
):
    resource = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "code": {"coding": [{"system": SNOMED, "code": "308447003"}]},
        "subject": {"reference": "Patient/1"},
    }
    with pytest.raises(FhirError) as refused:
        bring_in(
            "ServiceRequest",
            resource,
            network=other_network,
            by=member("chair", net=other_network),
            patient=foreign_patient,
        )
    assert refused.value.status_code == 422
    assert not Referral.objects.exists()


def test_a_second_open_referral_to_the_same_service_is_refused(
    member, patient, foreign_patient, other_network
):
    sent = resource_of("ServiceRequest", referral(patient, member), member("chair"))
    importer = member("chair", net=other_network)
    bring_in("ServiceRequest", sent, network=other_network, by=importer, patient=foreign_patient)
    with pytest.raises(FhirError) as refused:
        bring_in(
            "ServiceRequest", sent, network=other_network, by=importer, patient=foreign_patient
        )
    assert refused.value.status_code == 422
    assert Referral.objects.filter(patient=foreign_patient).count() == 1


def test_a_service_this_network_does_not_run_is_kept_switched_off(
    member, patient, network, foreign_patient, other_network
):
    ServiceConfig.objects.create(
        network=network, service="falls_clinic", label="Falls clinic", serving_roles=["gp"]
    )
    sent = resource_of(
        "ServiceRequest", referral(patient, member, service="falls_clinic"), member("chair")
    )
    importer = member("chair", net=other_network)
    row = bring_in(
        "ServiceRequest", sent, network=other_network, by=importer, patient=foreign_patient
    )
    config = ServiceConfig.objects.get(network=other_network, service="falls_clinic")
    assert (config.label, config.active) == ("Falls clinic", False)
    back = resource_of("ServiceRequest", row, importer)
    assert comparable(back) == comparable(sent)
