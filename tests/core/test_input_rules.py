"""API.md 1.1 "Input rules that apply everywhere" (issue #12): ids are JSON integers, text is
JSON strings, dates are plausible, lists have a maximum and no duplicates, and a constraint's
error names its field. Each test failed before the rule was in place."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from actions.models import Action
from medicines.models import Medication, Supply, Visit
from medicines.services import medication_add
from patients.models import Patient

pytestmark = pytest.mark.django_db

PERSON = {
    "nhs_number": "999 000 0018",
    "given_name": "Margaret",
    "family_name": "Hughes",
    "date_of_birth": "1938-04-02",
    "network": "thornton-heath",
}


@pytest.fixture
def pharmacist(member):
    return member("pharmacist")


def visit_body(person, **overrides):
    return {
        "patient": person.pk,
        "kind": "home",
        "visited_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
        **overrides,
    }


def task_body(person, user, **overrides):
    return {
        "patient": person.pk,
        "title": "Ring the GP",
        "assignee": user.username,
        "due_on": timezone.localdate().isoformat(),
        **overrides,
    }


# -- 1. Ids are integers in JSON ---------------------------------------------------------


@pytest.mark.parametrize("as_sent", [lambda pk: pk + 0.9, lambda pk: str(pk), lambda pk: True])
@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/tasks/", lambda p, u: task_body(p, u)),
        ("/api/v1/visits/", lambda p, u: visit_body(p)),
        (
            "/api/v1/medications/",
            lambda p, u: (
                {"patient": p.pk, "name": "Amlodipine", "dose_amount": "1"}
                | {"frequency": "once_daily"}
            ),
        ),
        ("/api/v1/referrals/", lambda p, u: {"patient": p.pk, "service": "gp", "reason": "r"}),
    ],
)
def test_an_id_that_is_not_a_json_integer_is_400_on_its_field(
    api, pharmacist, patient, url, body, as_sent
):
    """DRF took 2.9 (and "2") as person 2; True as person 1."""
    data = body(patient, pharmacist)
    data["patient"] = as_sent(patient.pk)
    response = api(pharmacist).post(url, data, format="json")
    assert response.status_code == 400, response.json()
    assert list(response.json()) == ["patient"]
    assert "JSON integer" in response.json()["patient"][0]
    assert not Action.objects.exists() and not Visit.objects.exists()
    # The same body with an integer id is accepted.
    data["patient"] = patient.pk
    assert api(pharmacist).post(url, data, format="json").status_code == 201


def test_an_intervention_medication_id_must_be_a_json_integer(api, pharmacist, patient):
    medication = medication_add(
        patient=patient, by=pharmacist, name="Amlodipine", dose_amount=1, frequency="once_daily"
    )
    stop = {"kind": "stopped", "medication": str(medication.pk), "note": "Dizzy"}
    response = api(pharmacist).post(
        "/api/v1/visits/", visit_body(patient, interventions=[stop]), format="json"
    )
    assert response.status_code == 400, response.json()
    assert "JSON integer" in response.json()["interventions"]["0"]["medication"][0]
    assert Medication.objects.get().stopped_on is None


def test_a_form_body_still_takes_a_digit_string_for_an_id(api, pharmacist, patient):
    """A multipart upload carries every value as text: its `patient` stays accepted."""
    csv = "medicine,dispensed_on,quantity\nAmlodipine,01/01/2025,28\n"
    response = api(pharmacist).post(
        "/api/v1/supplies/upload/",
        {"patient": str(patient.pk), "file": SimpleUploadedFile("d.csv", csv.encode())},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert Supply.objects.count() == 1


# -- 2. Text fields take strings only -------------------------------------------------------


@pytest.mark.parametrize("value", [123, 1.5, True, ["Ada"], {"a": 1}])
def test_a_name_that_is_not_a_json_string_is_400_give_text(api, pharmacist, value):
    response = api(pharmacist).post(
        "/api/v1/patients/", {**PERSON, "given_name": value}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"given_name": ["Give text."]}
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/tasks/", lambda p, u: task_body(p, u, title=7), "title"),
        ("/api/v1/visits/", lambda p, u: visit_body(p, summary=7), "summary"),
        (
            "/api/v1/referrals/",
            lambda p, u: {"patient": p.pk, "service": "gp", "reason": 7},
            "reason",
        ),
        ("/api/v1/patients/", lambda p, u: {**PERSON, "nhs_number": 9990000018}, "nhs_number"),
    ],
)
def test_text_fields_of_every_kind_refuse_a_number(api, pharmacist, patient, url, body, field):
    """Model text fields (task title) and declared ones (visit summary, referral reason, the
    NHS number) alike."""
    response = api(pharmacist).post(url, body(patient, pharmacist), format="json")
    assert response.status_code == 400
    assert response.json()[field] == ["Give text."]


def test_a_nested_text_field_refuses_a_number(api, pharmacist, patient):
    started = {"kind": "started", "medicine": 5, "dose": {"amount": "1", "frequency": "once_daily"}}
    response = api(pharmacist).post(
        "/api/v1/visits/", visit_body(patient, interventions=[started]), format="json"
    )
    assert response.status_code == 400
    assert response.json()["interventions"]["0"]["medicine"] == ["Give text."]


def test_a_form_body_still_takes_text(api, pharmacist, network):
    response = api(pharmacist).post("/api/v1/patients/", PERSON, format="multipart")
    assert response.status_code == 201, response.json()
