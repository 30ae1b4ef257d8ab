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

# About input rules, not about who is involved in a person's care (conftest.everyone_involved).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]

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


# -- 3. Dates must be plausible ---------------------------------------------------------------


def _years_ahead(years: int, days: int = 0) -> str:
    today = timezone.localdate()
    return (
        today.replace(year=today.year + years, day=min(today.day, 28))
        + datetime.timedelta(days=days)
    ).isoformat()


@pytest.mark.parametrize(
    ("url", "body", "field", "message"),
    [
        (
            "/api/v1/patients/",
            lambda p: {**PERSON, "date_of_birth": "1899-12-31"},
            "date_of_birth",
            "Give a date from 1900 on.",
        ),
        (
            "/api/v1/visits/",
            lambda p: visit_body(p, visited_at="1899-12-31T10:00:00Z"),
            "visited_at",
            "Give a date from 1900 on.",
        ),
        (
            "/api/v1/medications/",
            lambda p: (
                {"patient": p.pk, "name": "Amlodipine", "dose_amount": "1"}
                | {"frequency": "once_daily", "started_on": "0001-01-01"}
            ),
            "started_on",
            "Give a date from 1900 on.",
        ),
        (
            "/api/v1/supplies/",
            lambda p: (
                {"patient": p.pk, "medicine": "Amlodipine", "quantity": 28}
                | {"dispensed_on": "1066-10-14"}
            ),
            "dispensed_on",
            "Give a date from 1900 on.",
        ),
        (
            "/api/v1/visits/",
            lambda p: visit_body(p, follow_up_on=_years_ahead(5, days=2)),
            "follow_up_on",
            "Give a date no more than 5 years ahead.",
        ),
        (
            "/api/v1/medication-reviews/",
            lambda p: {"patient": p.pk, "outcome": "no_change", "reviewed_on": "9999-12-31"},
            "reviewed_on",
            "Give a date no more than 5 years ahead.",
        ),
    ],
)
def test_an_implausible_date_is_400_on_its_field(
    api, pharmacist, patient, url, body, field, message
):
    response = api(pharmacist).post(url, body(patient), format="json")
    assert response.status_code == 400, response.json()
    assert response.json() == {field: [message]}


def test_a_task_is_due_within_five_years(api, pharmacist, patient):
    client = api(pharmacist)
    too_far = task_body(patient, pharmacist, due_on=_years_ahead(5, days=2))
    response = client.post("/api/v1/tasks/", too_far, format="json")
    assert response.status_code == 400
    assert response.json() == {"due_on": ["Give a date no more than 5 years ahead."]}
    assert not Action.objects.exists()
    near = task_body(patient, pharmacist, due_on=_years_ahead(4))
    assert client.post("/api/v1/tasks/", near, format="json").status_code == 201


def test_a_date_of_birth_may_not_be_in_the_future_and_1900_is_fine(api, pharmacist, network):
    client = api(pharmacist)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        "/api/v1/patients/", {**PERSON, "date_of_birth": tomorrow}, format="json"
    )
    assert response.status_code == 400 and "date_of_birth" in response.json()
    response = client.post(
        "/api/v1/patients/", {**PERSON, "date_of_birth": "1900-01-01"}, format="json"
    )
    assert response.status_code == 201, response.json()


def test_models_and_forms_share_the_date_rules(patient, member):
    """The validators are on the model fields, so a page's form and a service's full_clean()
    refuse the same dates as the API."""
    from django.core.exceptions import ValidationError

    from huddles.models import AgendaItem
    from patients.models import Goal

    goal = Goal(patient=patient, description="Walk", agreed_on=datetime.date(1899, 1, 1))
    with pytest.raises(ValidationError) as caught:
        goal.full_clean(exclude=["patient", "agreed_by", "outcome_by"])
    assert "agreed_on" in caught.value.message_dict
    field = AgendaItem._meta.get_field("next_review_on")
    with pytest.raises(ValidationError):
        field.run_validators(datetime.date.fromisoformat(_years_ahead(6)))


# -- 4. Lists have a documented maximum and no duplicates -----------------------------------


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/visits/", lambda p: visit_body(p, red_flags=["fall", "loneliness", "fall"])),
        (
            "/api/v1/referrals/",
            lambda p: (
                {"patient": p.pk, "service": "gp", "reason": "r"} | {"red_flags": ["fall", "fall"]}
            ),
        ),
    ],
)
def test_a_red_flag_given_twice_is_400(api, pharmacist, patient, url, body):
    response = api(pharmacist).post(url, body(patient), format="json")
    assert response.status_code == 400
    assert response.json() == {"red_flags": ["Give each item once: 'fall' is repeated."]}
    assert not Visit.objects.exists()


def test_care_needs_are_each_given_once_and_no_more_than_the_catalogue(api, pharmacist, network):
    from patients.models import CareNeed

    client = api(pharmacist)
    twice = {**PERSON, "care_needs": ["swallowing", "swallowing"]}
    response = client.post("/api/v1/patients/", twice, format="json")
    assert response.status_code == 400
    assert response.json() == {"care_needs": ["Give each item once: 'swallowing' is repeated."]}
    too_many = {**PERSON, "care_needs": [*CareNeed.values, "swallowing"]}
    response = client.post("/api/v1/patients/", too_many, format="json")
    assert response.status_code == 400 and "care_needs" in response.json()
    every = {**PERSON, "care_needs": CareNeed.values}
    assert client.post("/api/v1/patients/", every, format="json").status_code == 201


def test_more_than_30_interventions_is_400(api, pharmacist, patient):
    note = {"kind": "other", "note": "Drink water"}
    response = api(pharmacist).post(
        "/api/v1/visits/", visit_body(patient, interventions=[note] * 31), format="json"
    )
    assert response.status_code == 400
    assert "no more than 30" in str(response.json()["interventions"])
    assert not Visit.objects.exists()


def test_the_schema_documents_each_list_maximum():
    from tests.openapi import raw_schema

    schemas = raw_schema()["components"]["schemas"]
    assert schemas["VisitRequest"]["properties"]["interventions"]["maxItems"] == 30
    assert schemas["VisitRequest"]["properties"]["red_flags"]["maxItems"] == 20
    assert schemas["ReferralRequest"]["properties"]["red_flags"]["maxItems"] == 20
    assert schemas["PatientRequest"]["properties"]["care_needs"]["maxItems"] == 7
    # Every array in a request body says how long it may be.
    for name, schema in schemas.items():
        if name.endswith("Request"):
            for field, spec in schema.get("properties", {}).items():
                if spec.get("type") == "array" and not spec.get("readOnly"):
                    assert "maxItems" in spec, (name, field)


# -- 5. A constraint's error comes back under its field, never __all__ ----------------------


def _api_errors(exc) -> dict:
    """The 400 body the API gives for a ValidationError a service raised."""
    from core.api import exception_handler

    response = exception_handler(exc, {})
    assert response.status_code == 400
    return response.data


def test_an_eFI_score_over_1_is_reported_on_score(patient, pharmacist):
    from decimal import Decimal

    from django.core.exceptions import ValidationError

    from patients.frailty import EFI_RANGE
    from patients.services import frailty_record

    with pytest.raises(ValidationError) as caught:
        frailty_record(
            patient=patient,
            by=pharmacist,
            scale="efi",
            score=Decimal("1.5"),
            assessed_on=timezone.localdate(),
        )
    assert _api_errors(caught.value) == {"score": [EFI_RANGE]}


def test_a_medicine_stopping_before_it_started_is_reported_on_stopped_on(patient, pharmacist):
    from django.core.exceptions import ValidationError

    medication = medication_add(
        patient=patient, by=pharmacist, name="Amlodipine", dose_amount=1, frequency="once_daily"
    )
    medication.started_on = datetime.date(2025, 3, 1)
    medication.stopped_on = datetime.date(2025, 2, 1)
    with pytest.raises(ValidationError) as caught:
        medication.full_clean(exclude=["patient", "created_by"])
    assert _api_errors(caught.value) == {
        "stopped_on": ["A medicine cannot stop before it started."]
    }


def test_a_visit_with_diastolic_above_systolic_is_reported_on_diastolic_bp(patient, pharmacist):
    """The service's own full_clean() (the serializer checks first on the API)."""
    from django.core.exceptions import ValidationError

    from medicines.services import visit_log

    with pytest.raises(ValidationError) as caught:
        visit_log(
            patient=patient,
            by=pharmacist,
            kind="home",
            visited_at=timezone.now(),
            observations={"systolic_bp": 90, "diastolic_bp": 120},
        )
    assert _api_errors(caught.value) == {"diastolic_bp": ["Diastolic must be lower than systolic."]}
    assert not Visit.objects.exists()


def test_errors_for_no_field_are_non_field_errors_never___all__():
    from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

    assert _api_errors(ValidationError("Whole request.")) == {
        "non_field_errors": ["Whole request."]
    }
    assert _api_errors(ValidationError({NON_FIELD_ERRORS: ["Whole."], "name": ["Bad."]})) == {
        "non_field_errors": ["Whole."],
        "name": ["Bad."],
    }


def test_every_check_constraint_names_its_field():
    """Each CheckConstraint a full_clean() can hit says which field it concerns."""
    from django.apps import apps
    from django.db.models import CheckConstraint

    from core.constraints import field_of

    unnamed = []
    for model in apps.get_models():
        if model.__module__.split(".")[0] not in {
            "patients",
            "medicines",
            "huddles",
            "actions",
            "networks",
        }:
            continue
        if model.__name__.endswith("Event"):  # pghistory's copies
            continue
        for constraint in model._meta.constraints:
            if isinstance(constraint, CheckConstraint):
                field = field_of(constraint.violation_error_code)
                if field is None:
                    unnamed.append(constraint.name)
                else:
                    model._meta.get_field(field)
    assert sorted(unnamed) == [
        "action_done_at_iff_done",
        # Set by the reconcile service with the decision, never typed by anyone.
        "import_line_decision_has_who_and_when",
        "membership_deactivated_at_iff_inactive",
        "membership_role_known",
        "network_cadence_known",
        "network_vocabulary_known",
    ]
