"""A GP medication list (FHIR Bundle of MedicationStatements): staged line by line, matched
by dm+d code, then reconciled by the pharmacist; nothing silently overwritten."""

from decimal import Decimal

import pytest

from core.errors import Conflict
from medicines.models import Medication, MedicationImport, MedicationImportLine
from medicines.services import (
    medication_add,
    medication_import_line_decide,
    medication_import_stage,
)
from tests.factories import PatientFactory

from .gp_bundle import bundle, dosage, statement, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]

AMLODIPINE_5 = "319283006"
RAMIPRIL_5 = "318902004"
ATORVASTATIN_20 = "320030001"
Match, Decision = MedicationImportLine.Match, MedicationImportLine.Decision


@pytest.fixture
def pharmacist(member):
    return member("pharmacist")


@pytest.fixture
def our_list(patient, pharmacist, dmd_release):
    """Amlodipine 5 mg once a day and ramipril 5 mg once a day, coded."""
    common = {"dose_unit": "tablet", "frequency": "once_daily", "route": "oral"}
    return {
        "amlodipine": medication_add(
            patient=patient,
            by=pharmacist,
            name="Amlodipine 5mg tablets",
            dmd_code=AMLODIPINE_5,
            dose_amount=Decimal(1),
            **common,
        ),
        "ramipril": medication_add(
            patient=patient,
            by=pharmacist,
            name="Ramipril 5mg capsules",
            dmd_code=RAMIPRIL_5,
            dose_amount=Decimal(1),
            **{**common, "dose_unit": "capsule"},
        ),
    }


def gp_list(patient):
    return bundle(
        patient.nhs_number,
        statement("Amlodipine 5mg tablets", AMLODIPINE_5, dosage(1, "tablet", 1)),
        statement("Ramipril 5mg capsules", RAMIPRIL_5, dosage(1, "capsule", 2)),
        statement("Atorvastatin 20mg tablets", ATORVASTATIN_20, dosage(1, "tablet", 1)),
        statement("Senna tablets", None, dosage(2, "tablet", 1)),
        statement(
            "Alendronic acid 70mg tablets",
            "39109011000001108",
            dosage(
                1,
                "tablet",
                1,
                timing={
                    "repeat": {
                        "frequency": 1,
                        "period": 1,
                        "periodUnit": "wk",
                        "dayOfWeek": ["mon"],
                    }
                },
            ),
        ),
    )


def stage(patient, by, data):
    return medication_import_stage(patient=patient, by=by, source_text=text(data), channel="api")


def test_each_statement_is_staged_and_matched_by_dm_d_code_and_nothing_changes(
    patient, pharmacist, our_list
):
    before = list(Medication.objects.values_list("pk", "dose_amount", "frequency"))
    staged = stage(patient, pharmacist, gp_list(patient))
    lines = {line.name.split()[0]: line for line in staged.lines.all()}
    assert lines["Amlodipine"].match == Match.SAME
    assert lines["Amlodipine"].medication == our_list["amlodipine"]
    assert lines["Ramipril"].match == Match.DIFFERS  # twice a day there, once here
    assert lines["Ramipril"].frequency == "twice_daily"
    assert lines["Atorvastatin"].match == Match.NEW
    assert lines["Senna"].match == Match.NOT_CODED
    alendronic = lines["Alendronic"]
    assert alendronic.match == Match.NEW and alendronic.dose_amount is None
    assert alendronic.dose_not_held.startswith("ICN holds doses 1-4 times a day")
    assert all(line.decision == "" for line in lines.values())
    assert list(Medication.objects.values_list("pk", "dose_amount", "frequency")) == before
    assert staged.network_id == patient.network_id and staged.created_by == pharmacist


def test_take_theirs_changes_our_line_with_history_and_records_who_and_when(
    patient, pharmacist, our_list
):
    staged = stage(patient, pharmacist, gp_list(patient))
    ramipril = staged.lines.get(dmd_code=RAMIPRIL_5)
    decided = medication_import_line_decide(line=ramipril, decision="take_theirs", by=pharmacist)
    ours = Medication.objects.get(pk=our_list["ramipril"].pk)
    assert ours.frequency == "twice_daily" and decided.result == ours
    assert decided.decided_by == pharmacist and decided.decided_at is not None
    history = list(ours.events.order_by("pgh_id").values_list("frequency", flat=True))
    assert history == ["once_daily", "twice_daily"]
    assert Medication.objects.filter(patient=patient).count() == 2  # one list, no copy
    with pytest.raises(Conflict, match="decided already"):
        medication_import_line_decide(line=ramipril, decision="keep_ours", by=pharmacist)


def test_add_puts_a_new_medicine_on_the_list_and_ignore_and_keep_change_nothing(
    patient, pharmacist, our_list
):
    staged = stage(patient, pharmacist, gp_list(patient))
    line = staged.lines.get(dmd_code=ATORVASTATIN_20)
    added = medication_import_line_decide(line=line, decision="add", by=pharmacist).result
    assert (added.name, added.dmd_code, added.frequency) == (
        "Atorvastatin 20mg tablets",
        ATORVASTATIN_20,
        "once_daily",
    )
    medication_import_line_decide(
        line=staged.lines.get(name="Senna tablets"), decision="ignore", by=pharmacist
    )
    medication_import_line_decide(
        line=staged.lines.get(dmd_code=AMLODIPINE_5), decision="keep_ours", by=pharmacist
    )
    assert Medication.objects.filter(patient=patient).count() == 3


def test_a_dose_icn_cannot_hold_is_never_added_or_taken(patient, pharmacist, our_list):
    from django.core.exceptions import ValidationError

    staged = stage(patient, pharmacist, gp_list(patient))
    line = staged.lines.get(name__startswith="Alendronic")
    with pytest.raises(ValidationError, match="add the medicine by hand"):
        medication_import_line_decide(line=line, decision="add", by=pharmacist)
    with pytest.raises(ValidationError, match="Choose one of"):
        medication_import_line_decide(line=line, decision="take_theirs", by=pharmacist)
    line.refresh_from_db()
    assert line.decision == "" and Medication.objects.filter(patient=patient).count() == 2


API = "/api/v1/patients/{}/medications/import/"


def test_the_api_stages_a_searchset_and_answers_with_the_lines(api, patient, pharmacist, our_list):
    data = gp_list(patient)
    data["type"] = "searchset"
    response = api(pharmacist).post(
        API.format(patient.pk), text(data), content_type="application/fhir+json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [line["match"] for line in body["lines"]] == [
        "same",
        "differs",
        "new",
        "not_coded",
        "new",
    ]
    assert body["reconcile_url"] == f"/medicines/patients/{patient.pk}/gp-list/{body['id']}/"
    assert MedicationImport.objects.get().source_text == text(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(type="transaction"), "collection or searchset"),
        (lambda d: d["entry"][1]["resource"].pop("medicationCodeableConcept"), "entry"),
        (lambda d: d["entry"][1]["resource"].update(dosage="daily"), "Bundle.entry[1].resource"),
        (lambda d: d.update(entry=d["entry"][:1]), "no MedicationStatement"),
    ],
)
def test_a_bad_bundle_is_refused_saying_where_and_nothing_is_saved(
    api, patient, pharmacist, change, message
):
    data = bundle(patient.nhs_number, statement("Amlodipine 5mg tablets", AMLODIPINE_5))
    change(data)
    response = api(pharmacist).post(API.format(patient.pk), data, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()["bundle"])
    assert not MedicationImport.objects.exists() and not MedicationImportLine.objects.exists()


def test_a_statement_about_another_person_refuses_the_whole_bundle(api, patient, pharmacist):
    other = PatientFactory(network=patient.network)
    data = bundle(
        patient.nhs_number,
        statement("Amlodipine 5mg tablets", AMLODIPINE_5),
        statement("Ramipril 5mg capsules", RAMIPRIL_5, nhs_number=other.nhs_number),
    )
    response = api(pharmacist).post(API.format(patient.pk), data, format="json")
    assert response.status_code == 400
    assert "entry[2]: the statement is about someone else" in response.json()["bundle"][0]
    assert not MedicationImport.objects.exists()


def test_not_json_is_a_400(api, patient, pharmacist):
    response = api(pharmacist).post(
        API.format(patient.pk), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert not MedicationImport.objects.exists()


# --- the pages ---------------------------------------------------------------------------------


def test_upload_then_reconcile_a_conflict_on_the_page(client, login, patient, our_list):
    from django.core.files.uploadedfile import SimpleUploadedFile

    pharmacist = login("pharmacist")
    upload = SimpleUploadedFile("gp.json", text(gp_list(patient)).encode(), "application/json")
    response = client.post(f"/medicines/patients/{patient.pk}/gp-list/", {"file": upload})
    staged = MedicationImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/medicines/patients/{patient.pk}/gp-list/{staged.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Differs from our list" in html and "Take theirs" in html and "5 of 5" in html
    line = staged.lines.get(dmd_code=RAMIPRIL_5)
    url = f"/medicines/patients/{patient.pk}/gp-list/{staged.pk}/lines/{line.pk}/"
    refused = client.post(url, {})
    assert refused.status_code == 422 and "Choose what to do" in refused.content.decode()
    done = client.post(url, {"decision": "take_theirs"})
    assert done.status_code == 302
    assert Medication.objects.get(pk=our_list["ramipril"].pk).frequency == "twice_daily"
    again = client.post(url, {"decision": "ignore"})
    assert again.status_code == 409 and "decided already" in again.content.decode()
    line.refresh_from_db()
    assert (line.decision, line.decided_by) == ("take_theirs", pharmacist)


def test_a_bad_file_on_the_page_says_why_and_saves_nothing(client, login, patient):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login("pharmacist")
    upload = SimpleUploadedFile("gp.json", b'{"resourceType": "Patient"}', "application/json")
    response = client.post(f"/medicines/patients/{patient.pk}/gp-list/", {"file": upload})
    assert response.status_code == 422
    assert "Not a FHIR Bundle" in response.content.decode()
    assert not MedicationImport.objects.exists()


def test_the_reconcile_page_query_count_does_not_grow_with_lines(
    client, login, patient, pharmacist, dmd_release, django_assert_max_num_queries
):
    login("pharmacist")

    def staged_with(n):
        statements = [statement(f"Medicine {i}", None, dosage(1, "tablet", 1)) for i in range(n)]
        return stage(patient, pharmacist, bundle(patient.nhs_number, *statements))

    small, large = staged_with(2), staged_with(20)
    url = "/medicines/patients/{}/gp-list/{}/"
    client.get(url.format(patient.pk, small.pk))
    with django_assert_max_num_queries(30) as few:
        client.get(url.format(patient.pk, small.pk))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url.format(patient.pk, large.pk)).status_code == 200
