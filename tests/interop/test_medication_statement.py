"""MedicationStatement (UK Core) from the reconciled medication list: dm+d coding, the dose as
a Dosage, status and search, roles, the query count and the round trip
(interop/resources/medication_statement.py)."""

from datetime import date
from decimal import Decimal

import pytest

from interop.outcome import FhirError
from medicines.models import Medication

from .clinical import bring_in, comparable, export, make_medication, query_count
from .validate import check, entries

pytestmark = pytest.mark.django_db

DMD = "https://dmd.nhs.uk"


def test_a_medicine_with_a_dmd_code(fhir, member, patient, everyone_involved):
    medication = make_medication(patient, member("pharmacist"))
    status, body = fhir(member("gp")).get(f"/fhir/R4/MedicationStatement/{medication.pk}")
    assert status == 200, body
    assert body["meta"]["profile"] == [
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationStatement"
    ]
    assert body["status"] == "active"
    assert body["category"]["coding"][0]["code"] == "community"
    assert body["medicationCodeableConcept"] == {
        "coding": [{"system": DMD, "code": "319283006", "display": "Amlodipine 5mg tablets"}],
        "text": "Amlodipine 5mg tablets 5 mg",
    }
    assert body["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert body["effectivePeriod"] == {"start": "2025-06-01"}
    assert body["informationSource"] == {"display": "Dr A Shah"}
    assert body["dateAsserted"].startswith(medication.created_at.date().isoformat())
    dose = body["dosage"][0]
    assert dose["text"] == "1 tablet once a day"
    assert dose["timing"]["repeat"] == {"frequency": 1, "period": 1, "periodUnit": "d"}
    assert dose["route"]["coding"][0]["code"] == "26643006"
    assert dose["doseAndRate"][0]["doseQuantity"] == {"value": 1, "unit": "tablet"}


def test_a_stopped_medicine_without_a_code(fhir, member, patient, everyone_involved):
    medication = make_medication(
        patient,
        member("pharmacist"),
        name="Senna",
        dmd_code="",
        strength="",
        prescriber="",
        frequency="as_required",
        stopped_on=date(2026, 1, 10),
        stop_reason="No longer needed",
    )
    status, body = fhir(member("gp")).get(f"/fhir/R4/MedicationStatement/{medication.pk}")
    assert status == 200
    assert body["status"] == "stopped"
    assert body["medicationCodeableConcept"] == {"text": "Senna"}
    assert body["effectivePeriod"] == {"start": "2025-06-01", "end": "2026-01-10"}
    assert body["statusReason"] == [{"text": "No longer needed"}]
    assert body["dosage"][0]["asNeededBoolean"] is True
    assert "informationSource" not in body


def test_search_by_status(fhir, member, patient, everyone_involved):
    pharmacist = member("pharmacist")
    active = make_medication(patient, pharmacist)
    stopped = make_medication(patient, pharmacist, name="Senna", stopped_on=date(2026, 1, 10))
    gp = fhir(member("gp"))
    for value, expected in (("active", active), ("stopped", stopped)):
        status, body = gp.get(f"/fhir/R4/MedicationStatement?patient={patient.pk}&status={value}")
        assert status == 200 and [e["id"] for e in entries(body)] == [str(expected.pk)]
        assert body["total"] == 1
    status, body = gp.get("/fhir/R4/MedicationStatement?status=completed")
    assert status == 400 and body["issue"][0]["expression"] == ["status"]


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
    medication = make_medication(patient, member("pharmacist"))
    client = fhir(member(role))
    assert client.get(f"/fhir/R4/MedicationStatement/{medication.pk}")[0] == expected
    assert client.get(f"/fhir/R4/MedicationStatement?patient={patient.pk}")[0] == expected


def test_another_networks_medicine_is_404(fhir, member, patient, other_network):
    medication = make_medication(patient, member("pharmacist"))
    client = fhir(member("chair", net=other_network))
    assert client.get(f"/fhir/R4/MedicationStatement/{medication.pk}")[0] == 404


def test_search_queries_do_not_grow_with_medicines(fhir, member, patient, everyone_involved):
    pharmacist = member("pharmacist")
    client = fhir(member("gp"))

    def get():
        return client.get(f"/fhir/R4/MedicationStatement?patient={patient.pk}")

    make_medication(patient, pharmacist)
    make_medication(patient, pharmacist, stopped_on=date(2026, 1, 1), stop_reason="Dizzy")
    few, body = query_count(get)
    assert len(entries(body)) == 2
    for i in range(18):
        make_medication(patient, pharmacist, name=f"Medicine {i}", dmd_code="")
    many, body = query_count(get)
    assert len(entries(body)) == 20
    assert many == few


def test_round_trip_into_another_network(member, patient, other_network):
    pharmacist = member("pharmacist")
    make_medication(patient, pharmacist)
    make_medication(
        patient,
        pharmacist,
        name="Salbutamol 100micrograms/dose inhaler",
        dmd_code="",
        strength="100 micrograms/dose",
        dose_amount=Decimal("2"),
        dose_unit="puff",
        frequency="as_required",
        route="inhaled",
    )
    make_medication(
        patient,
        pharmacist,
        name="Ibuprofen 400mg tablets",
        dmd_code="329652003",
        strength="",
        dose_amount=Decimal("0.5"),
        frequency="three_times_daily",
        stopped_on=date(2026, 3, 2),
        stop_reason="Kidney function",
        prescriber="",
    )
    sent = export("MedicationStatement", member("chair"), patient=patient)
    for resource in sent:
        check(resource)
    importer = member("pharmacist", net=other_network)
    ctx = bring_in(sent, network=other_network, by=importer)
    assert {m.created_by_id for m in ctx.refs.values()} == {importer.pk}
    again = export("MedicationStatement", importer, patient=ctx.patient)
    assert [comparable(r) for r in again] == [comparable(r) for r in sent]


def test_a_dose_icn_cannot_hold_is_refused_and_saves_nothing(member, patient, other_network):
    sent = export("MedicationStatement", member("chair"), pk=make_medication(patient, member()).pk)
    sent[0]["dosage"][0]["timing"]["repeat"] = {"frequency": 3, "period": 1, "periodUnit": "wk"}
    with pytest.raises(FhirError) as refused:
        bring_in(sent, network=other_network, by=member("pharmacist", net=other_network))
    assert refused.value.status_code == 422
    assert "weekly" in str(refused.value.issues[0])
    assert not Medication.objects.filter(patient__network=other_network).exists()


def test_a_month_for_a_start_date_is_refused(member, patient, other_network):
    sent = export("MedicationStatement", member("chair"), pk=make_medication(patient, member()).pk)
    sent[0]["effectivePeriod"]["start"] = "2025-06"
    with pytest.raises(FhirError) as refused:
        bring_in(sent, network=other_network, by=member("pharmacist", net=other_network))
    assert refused.value.issues[0][1] == "MedicationStatement.effectivePeriod.start"
    assert not Medication.objects.filter(patient__network=other_network).exists()
