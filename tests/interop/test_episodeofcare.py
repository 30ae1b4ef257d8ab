"""EpisodeOfCare from a time on the MDT caseload (interop/resources/episodeofcare.py)."""

import datetime
import json

import pytest
from django.utils import timezone

from huddles.models import Episode
from interop.outcome import FhirError
from tests.factories import PatientFactory

from .roundtrip import bring_in, comparable, resource_of
from .validate import entries
from .world import episode

pytestmark = pytest.mark.django_db


def test_an_episode_as_a_uk_core_episode_of_care(fhir, member, patient, network):
    row = episode(patient)
    status, body = fhir(member("chair")).get(f"/fhir/R4/EpisodeOfCare/{row.pk}")
    assert status == 200
    assert body["meta"]["profile"] == [
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-EpisodeOfCare"
    ]
    assert body["status"] == "active"
    assert body["patient"] == {"reference": f"Patient/{patient.pk}"}
    assert body["managingOrganization"] == {"display": network.name}
    assert body["period"]["start"] and "end" not in body["period"]


def test_a_closed_episode_is_finished_and_says_no_why(fhir, member, patient):
    row = episode(
        patient, closed_at=timezone.now(), admission_avoided="yes", closing_reason="Settled"
    )
    _s, body = fhir(member("chair")).get(f"/fhir/R4/EpisodeOfCare/{row.pk}")
    assert body["status"] == "finished" and body["period"]["end"]
    said = json.dumps(body).lower()
    assert "settled" not in said and "admission" not in said


def test_search_by_status(fhir, member, patient):
    closed = episode(patient, closed_at=timezone.now() - datetime.timedelta(days=1))
    current = episode(patient, opened_at=timezone.now())
    client = fhir(member("chair"))
    _s, body = client.get("/fhir/R4/EpisodeOfCare?status=active")
    assert [e["id"] for e in entries(body)] == [str(current.pk)]
    _s, body = client.get("/fhir/R4/EpisodeOfCare?status=finished")
    assert [e["id"] for e in entries(body)] == [str(closed.pk)]
    status, body = client.get("/fhir/R4/EpisodeOfCare?status=closed")
    assert status == 400 and body["issue"][0]["expression"] == ["status"]


@pytest.mark.parametrize(
    ("role", "expected"), [("pic", 200), ("gp", 200), ("manager", 403), ("partner_system", 403)]
)
def test_who_reads_an_episode(fhir, member, patient, role, expected):
    """When the person came onto and left the caseload: every role that opens them (the
    timeline shows the PIC that much); roles that open no records get 403."""
    row = episode(patient)
    assert fhir(member(role)).get(f"/fhir/R4/EpisodeOfCare/{row.pk}")[0] == expected


def test_another_networks_episode_is_404(fhir, member, foreign_patient):
    row = episode(foreign_patient)
    assert fhir(member("chair")).get(f"/fhir/R4/EpisodeOfCare/{row.pk}")[0] == 404


def test_search_query_count_does_not_grow_with_rows(
    fhir, member, network, django_assert_max_num_queries
):
    client = fhir(member("chair"))
    for person in PatientFactory.create_batch(2, network=network):
        episode(person)
    with django_assert_max_num_queries(12) as few:
        client.get("/fhir/R4/EpisodeOfCare")
    for person in PatientFactory.create_batch(18, network=network):
        episode(person)
    with django_assert_max_num_queries(len(few.captured_queries)):
        _s, body = client.get("/fhir/R4/EpisodeOfCare")
    assert len(entries(body)) == 20


@pytest.mark.parametrize("closed", [False, True])
def test_an_episode_brought_into_another_network_reads_the_same(
    member, patient, foreign_patient, other_network, closed
):
    row = episode(patient, closed_at=timezone.now() if closed else None)
    sent = resource_of("EpisodeOfCare", row, member("chair"))
    importer = member("chair", net=other_network)
    new = bring_in(
        "EpisodeOfCare", sent, network=other_network, by=importer, patient=foreign_patient
    )
    assert (new.network, new.patient, new.opened_at) == (
        other_network,
        foreign_patient,
        row.opened_at,
    )
    back = resource_of("EpisodeOfCare", Episode.objects.get(pk=new.pk), importer)
    # The managing organisation is the network that holds the episode: it changes.
    assert back.pop("managingOrganization") == {"display": other_network.name}
    sent.pop("managingOrganization")
    assert comparable(back) == comparable(sent)


def test_an_episode_without_a_start_is_refused_and_nothing_saved(
    member, foreign_patient, other_network
):
    resource = {
        "resourceType": "EpisodeOfCare",
        "status": "active",
        "patient": {"reference": "Patient/1"},
    }
    with pytest.raises(FhirError) as refused:
        bring_in(
            "EpisodeOfCare",
            resource,
            network=other_network,
            by=member("chair", net=other_network),
            patient=foreign_patient,
        )
    assert refused.value.status_code == 422
    assert not Episode.objects.exists()


def test_a_second_open_episode_is_refused(member, patient, foreign_patient, other_network):
    sent = resource_of("EpisodeOfCare", episode(patient), member("chair"))
    importer = member("chair", net=other_network)
    bring_in("EpisodeOfCare", sent, network=other_network, by=importer, patient=foreign_patient)
    with pytest.raises(FhirError) as refused:
        bring_in("EpisodeOfCare", sent, network=other_network, by=importer, patient=foreign_patient)
    assert refused.value.status_code == 422
    assert Episode.objects.filter(patient=foreign_patient).count() == 1
