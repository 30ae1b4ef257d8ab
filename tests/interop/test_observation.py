"""Observation (UK Core vital signs, ACVPU, NEWS2 total) from a visit's measurements: the exact
codes, search by code, restricted visits, roles, the query count and the round trip
(interop/resources/observation.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from actions.models import Action
from audit.services import break_glass_record
from interop.outcome import FhirError
from medicines.models import Visit
from notifications.models import Notification

from .clinical import bring_in, comparable, export, fhir_time, make_visit, query_count
from .validate import check, entries

pytestmark = pytest.mark.django_db

UK = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"


def codes_of(concept):
    return [(c["system"], c["code"]) for c in concept["coding"]]


def by_part(bundle_or_list):
    resources = entries(bundle_or_list) if isinstance(bundle_or_list, dict) else bundle_or_list
    return {r["id"].split("-", 1)[1]: r for r in resources}


def test_a_visits_measurements_as_uk_core_observations(fhir, member, patient, everyone_involved):
    visit = make_visit(patient, member("pharmacist"))
    status, body = fhir(member("gp")).get(f"/fhir/R4/Observation?patient={patient.pk}")
    assert status == 200 and "total" not in body  # pages count visits, not observations
    found = by_part(body)
    assert sorted(found) == ["acvpu", "bp", "news2", "pulse", "rr", "spo2", "temp"]
    for part, resource in found.items():
        assert resource["id"] == f"{visit.pk}-{part}"
        assert resource["status"] == "final"
        assert resource["subject"] == {"reference": f"Patient/{patient.pk}"}
        assert resource["encounter"] == {"reference": f"Encounter/{visit.pk}"}
        assert resource["effectiveDateTime"] == fhir_time(visit.visited_at)
        category = resource["category"][0]["coding"][0]["code"]
        assert category == ("survey" if part in {"acvpu", "news2"} else "vital-signs")

    bp = found["bp"]
    assert bp["meta"]["profile"] == [UK + "Observation-VitalSigns-BloodPressure"]
    assert codes_of(bp["code"]) == [(LOINC, "85354-9"), (SNOMED, "75367002")]
    assert [
        (c["code"]["coding"][0]["code"], c["valueQuantity"]["value"], c["valueQuantity"]["code"])
        for c in bp["component"]
    ] == [("8480-6", 128, "mm[Hg]"), ("8462-4", 82, "mm[Hg]")]
    assert "valueQuantity" not in bp

    expected = {
        "pulse": ("Observation-VitalSigns-HeartRate", (LOINC, "8867-4"), 96, "/min"),
        "rr": ("Observation-VitalSigns-RespirationRate", (LOINC, "9279-1"), 22, "/min"),
        "spo2": ("Observation-VitalSigns-OxygenSaturation", (LOINC, "2708-6"), 94, "%"),
        "temp": ("Observation-VitalSigns-BodyTemperature", (LOINC, "8310-5"), 37.9, "Cel"),
    }
    for part, (profile, code, value, unit) in expected.items():
        resource = found[part]
        assert resource["meta"]["profile"] == [UK + profile], part
        assert codes_of(resource["code"])[0] == code, part
        assert resource["valueQuantity"] == {
            "value": value,
            "unit": resource["valueQuantity"]["unit"],
            "system": UCUM,
            "code": unit,
        }
    assert (LOINC, "59408-5") in codes_of(found["spo2"]["code"])

    acvpu = found["acvpu"]
    assert acvpu["meta"]["profile"] == [UK + "Observation-ACVPU"]
    assert codes_of(acvpu["code"]) == [(SNOMED, "1104441000000107")]
    assert codes_of(acvpu["valueCodeableConcept"]) == [(SNOMED, "248234008")]

    news2 = found["news2"]
    assert news2["meta"]["profile"] == [UK + "Observation-EarlyWarningTotalScore"]
    assert codes_of(news2["code"]) == [(SNOMED, "1104051000000101")]
    # rr 22 -> 2, SpO2 94 on scale 1 -> 1, pulse 96 -> 1: 4 (the visit's own NEWS2)
    assert visit.news2_score == 4
    assert news2["valueQuantity"] == {
        "value": 4,
        "unit": "score",
        "system": UCUM,
        "code": "{ScoreOf}",
    }
    parts = {
        c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in news2["component"]
    }
    assert parts == {
        "1104301000000104": 2,  # respiration rate
        "1104311000000102": 1,  # SpO2 scale 1
        "1104331000000105": 0,  # air
        "1104341000000101": 0,  # systolic BP
        "1104351000000103": 1,  # pulse
        "1104361000000100": 0,  # consciousness
        "1104371000000107": 0,  # temperature
    }
    assert "note" not in news2


def test_only_what_was_measured_and_a_partial_news2_says_so(
    fhir, member, patient, everyone_involved
):
    visit = make_visit(
        patient,
        member("pharmacist"),
        systolic_bp=None,
        diastolic_bp=None,
        respiratory_rate=None,
        temperature_c=None,
        spo2=None,
        consciousness="",
    )
    status, body = fhir(member("gp")).get(f"/fhir/R4/Observation?patient={patient.pk}")
    found = by_part(body)
    assert sorted(found) == ["news2", "pulse"]
    assert found["news2"]["valueQuantity"]["value"] == 1
    assert found["news2"]["note"][0]["text"].startswith("Partial score")
    status, body = fhir(member("gp")).get(f"/fhir/R4/Observation/{visit.pk}-bp")
    assert status == 404


def test_ids_that_are_not_an_observation_are_404(fhir, member, patient, everyone_involved):
    visit = make_visit(patient, member("pharmacist"))
    gp = fhir(member("gp"))
    assert gp.get(f"/fhir/R4/Observation/{visit.pk}-pulse")[0] == 200
    for bad in (f"{visit.pk}", f"{visit.pk}-weight", "x-bp", f"{visit.pk + 1000}-bp"):
        assert gp.get(f"/fhir/R4/Observation/{bad}")[0] == 404, bad


def test_search_by_code(fhir, member, patient, everyone_involved):
    pharmacist = member("pharmacist")
    first = make_visit(patient, pharmacist)
    second = make_visit(patient, pharmacist, pulse=None)
    gp = fhir(member("gp"))
    status, body = gp.get(f"/fhir/R4/Observation?patient={patient.pk}&code={LOINC}|8867-4")
    assert status == 200 and [e["id"] for e in entries(body)] == [f"{first.pk}-pulse"]
    status, body = gp.get("/fhir/R4/Observation?code=9279-1,1104051000000101")
    assert status == 200
    assert [e["id"] for e in entries(body)] == [
        f"{first.pk}-rr",
        f"{first.pk}-news2",
        f"{second.pk}-rr",
        f"{second.pk}-news2",
    ]
    status, body = gp.get(f"/fhir/R4/Observation?code={SNOMED}|248234008")
    assert status == 400 and body["issue"][0]["expression"] == ["code"]
    status, body = gp.get("/fhir/R4/Observation?code=http://example.org|8867-4")
    assert status == 400


def test_a_restricted_visit_gives_no_observations_to_who_may_not_open_it(
    fhir, member, patient, everyone_involved
):
    author = member("pharmacist")
    visit = make_visit(patient, author)
    Visit.objects.filter(pk=visit.pk).update(
        restricted=True, restricted_reason="Safeguarding", restricted_by=author
    )
    status, body = fhir(author).get(f"/fhir/R4/Observation?patient={patient.pk}")
    assert status == 200 and len(entries(body)) == 7
    gp = fhir(member("gp"))
    status, body = gp.get(f"/fhir/R4/Observation?patient={patient.pk}")
    assert status == 200 and entries(body) == []
    assert gp.get(f"/fhir/R4/Observation/{visit.pk}-news2")[0] == 404
    assert fhir(member("chair")).get(f"/fhir/R4/Observation/{visit.pk}-news2")[0] == 200
    break_glass_record(
        by=member("gp"),
        patient=patient,
        reason_code="vital_interests",
        reason="Collapsed",
        channel="api",
    )
    assert gp.get(f"/fhir/R4/Observation/{visit.pk}-news2")[0] == 200


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("chair", 200),
        ("gp", 200),
        ("pharmacist", 200),
        ("pic", 403),
        ("manager", 403),
        ("ig_lead", 403),
    ],
)
def test_roles(fhir, member, patient, everyone_involved, role, expected):
    visit = make_visit(patient, member("pharmacist"))
    assert fhir(member(role)).get(f"/fhir/R4/Observation/{visit.pk}-bp")[0] == expected
    assert fhir(member(role)).get(f"/fhir/R4/Observation?patient={patient.pk}")[0] == expected


def test_another_networks_observation_is_404(fhir, member, patient, other_network):
    visit = make_visit(patient, member("pharmacist"))
    client = fhir(member("chair", net=other_network))
    assert client.get(f"/fhir/R4/Observation/{visit.pk}-bp")[0] == 404


def test_search_queries_do_not_grow_with_visits(fhir, member, patient, everyone_involved):
    pharmacist = member("pharmacist")
    author = member("community_nurse")
    restricted = make_visit(patient, author)
    Visit.objects.filter(pk=restricted.pk).update(
        restricted=True, restricted_reason="Safeguarding", restricted_by=author
    )
    client = fhir(member("gp"))

    def get():
        return client.get(f"/fhir/R4/Observation?patient={patient.pk}")

    make_visit(patient, pharmacist)
    few, body = query_count(get)
    assert len(entries(body)) == 7
    for i in range(18):
        make_visit(patient, pharmacist, visited_at=timezone.now() - timedelta(days=i))
    many, body = query_count(get)
    assert len(entries(body)) == 7 * 19
    assert many == few


def test_round_trip_into_another_network(member, patient, other_network):
    pharmacist = member("pharmacist")
    make_visit(patient, pharmacist)
    make_visit(
        patient,
        pharmacist,
        on_oxygen=True,
        spo2_scale=2,
        spo2=94,
        consciousness="voice",
        temperature_c=Decimal("35.5"),
        diastolic_bp=None,
    )
    chair = member("chair")
    sent = export("Encounter", chair, patient=patient) + export(
        "Observation", chair, patient=patient
    )
    for resource in sent:
        check(resource)
    importer = member("pharmacist", net=other_network)
    ctx = bring_in(sent, network=other_network, by=importer)
    visits = list(Visit.objects.filter(patient=ctx.patient).order_by("pk"))
    assert [(v.news2_score, v.on_oxygen, v.spo2_scale) for v in visits] == [
        (4, False, 1),
        (Visit.objects.filter(patient=patient).order_by("pk")[1].news2_score, True, 2),
    ]
    # History comes in; nothing new happens: no NEWS2 escalation, task or notification.
    assert {v.news2_escalation for v in visits} == {"none"}
    assert not Action.objects.filter(network=other_network).exists()
    assert not Notification.objects.filter(recipient=importer).exists()
    again = export("Observation", importer, patient=ctx.patient)
    observations = [r for r in sent if r["resourceType"] == "Observation"]
    assert [comparable(r) for r in again] == [comparable(r) for r in observations]
    assert [r["id"].split("-")[1] for r in again] == [r["id"].split("-")[1] for r in observations]


def test_a_news2_total_that_disagrees_is_refused(member, patient, other_network):
    visit = make_visit(patient, member("pharmacist"))
    chair = member("chair")
    sent = export("Encounter", chair, pk=visit.pk) + export("Observation", chair, pk=visit.pk)
    news2 = next(r for r in sent if r["id"].endswith("-news2"))
    news2["valueQuantity"]["value"] = 9
    importer = member("pharmacist", net=other_network)
    with pytest.raises(FhirError) as refused:
        bring_in(sent, network=other_network, by=importer)
    assert refused.value.status_code == 422
    assert "NEWS2" in str(refused.value.issues[0])


def test_an_observation_without_its_encounter_is_refused(member, patient, other_network):
    visit = make_visit(patient, member("pharmacist"))
    sent = export("Observation", member("chair"), pk=visit.pk)
    with pytest.raises(FhirError) as refused:
        bring_in(sent[:1], network=other_network, by=member("pharmacist", net=other_network))
    assert refused.value.status_code == 422
    assert not Visit.objects.filter(network=other_network).exists()


def test_units_icn_does_not_hold_are_refused_and_uk_core_variants_taken(
    member, patient, other_network
):
    visit = make_visit(patient, member("pharmacist"))
    chair = member("chair")
    sent = export("Encounter", chair, pk=visit.pk) + export("Observation", chair, pk=visit.pk)
    found = {r["id"].split("-")[-1]: r for r in sent}
    importer = member("pharmacist", net=other_network)
    # as UK Core's NEWS2 example sends them: {beats}/min, and a score as a valueInteger
    found["pulse"]["valueQuantity"]["code"] = "{beats}/min"
    found["news2"]["valueInteger"] = found["news2"].pop("valueQuantity")["value"]
    ctx = bring_in(sent, network=other_network, by=importer)
    visit_there = ctx.row(f"Encounter/{visit.pk}")
    assert (visit_there.pulse, visit_there.news2_score) == (96, 4)
    fahrenheit = dict(found["temp"], valueQuantity={"value": 100.2, "code": "[degF]"})
    with pytest.raises(FhirError) as refused:
        bring_in([sent[0], fahrenheit], network=other_network, by=importer)
    assert refused.value.status_code == 422
    assert "Cel" in str(refused.value.issues[0])
