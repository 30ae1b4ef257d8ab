"""CarePlan (UK Core) from the MDT's care plan: needs as notes, interventions as activities,
the review date, roles, the query count and the round trip (interop/resources/care_plan.py)."""

import pytest
from django.utils import timezone

from actions.models import Action
from careplans.models import CarePlan, CarePlanIntervention
from interop.outcome import FhirError
from tests.factories import ActionFactory, PatientFactory

from .clinical import bring_in, comparable, export, make_care_plan, query_count
from .validate import check, entries

pytestmark = pytest.mark.django_db


def test_a_care_plan_as_uk_core(fhir, member, patient, everyone_involved):
    chair = member("chair")
    pharmacist = member("pharmacist")
    plan = make_care_plan(patient, chair, owner=pharmacist)
    owned = CarePlanIntervention.objects.get(plan=plan, owner=pharmacist)
    owned.task = ActionFactory(
        patient=patient, status=Action.Status.DONE, done_at=timezone.now(), done_by=pharmacist
    )
    owned.save()
    status, body = fhir(member("gp")).get(f"/fhir/R4/CarePlan/{plan.pk}")
    assert status == 200, body
    assert body["meta"]["profile"] == [
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-CarePlan"
    ]
    assert body["meta"]["versionId"] == "3"
    assert (body["status"], body["intent"]) == ("active", "plan")
    assert body["category"] == [{"text": "Multidisciplinary care plan"}]
    assert body["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert body["period"] == {"end": "2026-09-01"}
    assert body["author"] == {
        "type": "Practitioner",
        "identifier": {"system": "urn:icn:user", "value": chair.username},
        "display": chair.get_full_name(),
    }
    assert body["note"] == [
        {"text": "Home: Struggles with stairs"},
        {"text": "What matters to me: Wants to stay at home"},
    ]
    assert [a["detail"] for a in body["activity"]] == [
        {
            "status": "scheduled",
            "description": "Stair rail fitted",
            "scheduledPeriod": {"end": "2026-04-15"},
            "performer": [
                {
                    "identifier": {"system": "urn:icn:role", "value": "occupational_therapist"},
                    "display": "Occupational therapist",
                }
            ],
        },
        {
            "status": "completed",
            "description": "Medicines review",
            "scheduledPeriod": {"end": "2026-05-01"},
            "performer": [
                {
                    "type": "Practitioner",
                    "identifier": {"system": "urn:icn:user", "value": pharmacist.username},
                    "display": pharmacist.get_full_name(),
                }
            ],
        },
    ]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("chair", 200),
        ("gp", 200),
        ("social_worker", 200),
        ("pic", 403),
        ("manager", 403),
        ("ig_lead", 403),
    ],
)
def test_roles(fhir, member, patient, everyone_involved, role, expected):
    plan = make_care_plan(patient, member("chair"))
    client = fhir(member(role))
    assert client.get(f"/fhir/R4/CarePlan/{plan.pk}")[0] == expected
    assert client.get(f"/fhir/R4/CarePlan?patient={patient.pk}")[0] == expected


def test_another_networks_plan_is_404(fhir, member, patient, other_network):
    plan = make_care_plan(patient, member("chair"))
    client = fhir(member("chair", net=other_network))
    assert client.get(f"/fhir/R4/CarePlan/{plan.pk}")[0] == 404
    status, body = client.get(f"/fhir/R4/CarePlan?patient={patient.pk}")
    assert status == 200 and body["total"] == 0


def test_search_queries_do_not_grow_with_plans(fhir, member, network, everyone_involved):
    chair = member("chair")
    owner = member("pharmacist")
    client = fhir(member("gp"))

    def get():
        return client.get("/fhir/R4/CarePlan")

    for _ in range(2):
        make_care_plan(PatientFactory(network=network), chair, owner=owner)
    few, body = query_count(get)
    assert len(entries(body)) == 2
    for _ in range(18):
        make_care_plan(PatientFactory(network=network), chair, owner=owner)
    many, body = query_count(get)
    assert len(entries(body)) == 20
    assert many == few


def test_round_trip_into_another_network(member, patient, other_network):
    make_care_plan(patient, member("chair"))
    sent = export("CarePlan", member("chair"), patient=patient)
    check(sent[0])
    importer = member("chair", net=other_network)
    ctx = bring_in(sent, network=other_network, by=importer)
    plan = CarePlan.objects.get(patient=ctx.patient)
    assert (plan.network_id, plan.version) == (other_network.pk, 3)
    assert not CarePlanIntervention.objects.filter(plan=plan, task__isnull=False).exists()
    again = export("CarePlan", importer, patient=ctx.patient)
    # The author is no member of the other network: who brought the plan in answers for it.
    assert again[0].pop("author")["display"] == importer.get_full_name()
    sent[0].pop("author")
    assert [comparable(r) for r in again] == [comparable(r) for r in sent]


def test_an_activity_without_a_due_date_is_refused_and_saves_nothing(
    member, patient, other_network
):
    sent = export("CarePlan", member("chair"), pk=make_care_plan(patient, member("chair")).pk)
    del sent[0]["activity"][0]["detail"]["scheduledPeriod"]
    with pytest.raises(FhirError) as refused:
        bring_in(sent, network=other_network, by=member("chair", net=other_network))
    assert refused.value.status_code == 422
