import datetime

import pytest
from django.utils import timezone

from actions.models import Action
from medicines.models import Intervention, Medication, Supply, Visit
from medicines.services import medication_add
from referrals.models import PatientFlag, Referral
from tests.factories import PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]
URL = "/api/v1/visits/"


def visit_body(person, **overrides):
    data = {
        "patient": person.pk,
        "kind": "home",
        "visited_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
        "summary": "Reviewed medicines with her daughter present.",
        "observations": {
            "systolic_bp": 128,
            "diastolic_bp": 78,
            "pulse": 84,
            "respiratory_rate": 18,
            "temperature_c": "36.9",
            "spo2": 96,
            "consciousness": "alert",
        },
    }
    data.update(overrides)
    return data


@pytest.fixture
def pharmacist(member):
    return member("pharmacist")


def test_visit_with_three_flags_raises_three_referrals_then_none(api, pharmacist, patient):
    flags = ["no_heating", "loneliness", "fall"]
    tomorrow = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    response = api(pharmacist).post(
        URL, visit_body(patient, red_flags=flags, follow_up_on=tomorrow), format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert sorted(r["service"] for r in data["referrals"]) == [
        "physiotherapy",
        "pic",
        "social_services",
    ]
    assert all(r["origin"] == "red_flag" for r in data["referrals"])
    assert data["task"]["assignee"] == pharmacist.username and data["task"]["due_on"] == tomorrow
    assert data["news2"] == {"score": 0, "complete": True, "needs_attention": False, "missing": []}
    assert data["visitor"] == pharmacist.username
    second = api(pharmacist).post(URL, visit_body(patient, red_flags=flags), format="json")
    assert second.status_code == 201 and second.json()["referrals"] == []
    assert Referral.objects.count() == 3 and PatientFlag.objects.count() == 3
    assert Visit.objects.count() == 2


def test_news2_computed_and_highlighted(api, pharmacist, patient):
    obs = {
        "systolic_bp": 98,
        "diastolic_bp": 60,
        "pulse": 118,
        "respiratory_rate": 23,
        "temperature_c": "38.6",
        "spo2": 93,
        "consciousness": "alert",
    }
    data = api(pharmacist).post(URL, visit_body(patient, observations=obs), format="json").json()
    assert data["news2"]["score"] == 2 + 2 + 2 + 2 + 1  # 9
    assert data["news2"]["needs_attention"] is True
    assert data["observations"]["temperature_c"] == "38.6"


def test_partial_observations_give_a_partial_score(api, pharmacist, patient):
    data = (
        api(pharmacist)
        .post(URL, visit_body(patient, observations={"pulse": 120}), format="json")
        .json()
    )
    assert data["news2"]["complete"] is False
    assert "temperature_c" in data["news2"]["missing"]


@pytest.mark.parametrize(
    ("observations", "field"),
    [
        ({"temperature_c": "80.0"}, "temperature_c"),
        ({"spo2": 120}, "spo2"),
        ({"pulse": 0}, "pulse"),
        ({"systolic_bp": 400}, "systolic_bp"),
        ({"respiratory_rate": 200}, "respiratory_rate"),
        ({"systolic_bp": 80, "diastolic_bp": 90}, "diastolic_bp"),
        ({"pulse": "fast"}, "pulse"),
        ({"consciousness": "sleepy"}, "consciousness"),
    ],
)
def test_impossible_observations_are_refused_and_nothing_saved(
    api, pharmacist, patient, observations, field
):
    body = visit_body(
        patient,
        observations=observations,
        red_flags=["fall"],
        follow_up_on=timezone.localdate().isoformat(),
    )
    response = api(pharmacist).post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["observations"]
    assert (
        not Visit.objects.exists() and not Referral.objects.exists() and not Action.objects.exists()
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "carrier pigeon"}, "kind"),
        ({"visited_at": "yesterday"}, "visited_at"),
        ({"visited_at": "2999-01-01T10:00:00+00:00"}, "visited_at"),
        ({"red_flags": ["unknown_flag"]}, "red_flags"),
        ({"follow_up_on": "2001-01-01"}, "follow_up_on"),
        ({"patient": None}, "patient"),
        ({"summary": "x\x00y"}, "summary"),
        ({"interventions": [{"kind": "stopped", "medicine": "Not on list"}]}, "interventions"),
        ({"interventions": [{"kind": "started", "medicine": "Sertraline"}]}, "interventions"),
        ({"interventions": [{"kind": "teleported"}]}, "interventions"),
    ],
)
def test_bad_visit_input_is_400_and_nothing_saved(api, pharmacist, patient, change, field):
    response = api(pharmacist).post(
        URL,
        visit_body(patient, red_flags=["fall"], **change)
        if "red_flags" not in change
        else visit_body(patient, **change),
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not Visit.objects.exists() and not Referral.objects.exists()


def test_interventions_update_the_medication_list(api, pharmacist, patient):
    amlodipine = medication_add(
        patient=patient,
        by=pharmacist,
        name="Amlodipine",
        strength="10 mg",
        dose_amount=1,
        frequency="once_daily",
    )
    medication_add(
        patient=patient,
        by=pharmacist,
        name="Ramipril",
        strength="5 mg",
        dose_amount=1,
        frequency="once_daily",
    )
    interventions = [
        {"kind": "stopped", "medicine": "amlodipine", "note": "Ankle swelling"},
        {
            "kind": "started",
            "medicine": "Lercanidipine",
            "strength": "10 mg",
            "dose": {"amount": "1", "unit": "tablet", "frequency": "once_daily"},
        },
        {
            "kind": "dose_changed",
            "medicine": "Ramipril",
            "dose": {"amount": "2", "frequency": "once_daily"},
        },
        {"kind": "compliance_aid", "note": "Weekly blister pack from the pharmacy"},
    ]
    body = visit_body(patient, interventions=interventions)
    response = api(pharmacist).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    amlodipine.refresh_from_db()
    # Stopped on the day of the visit (the day before, for a visit at 23:30 logged at 00:30).
    visit_day = timezone.localdate(datetime.datetime.fromisoformat(body["visited_at"]))
    assert amlodipine.stopped_on == visit_day and amlodipine.stop_reason == "Ankle swelling"
    active = {
        m.name: m for m in Medication.objects.filter(patient=patient, stopped_on__isnull=True)
    }
    assert sorted(active) == ["Lercanidipine", "Ramipril"]
    assert active["Ramipril"].dose_amount == 2
    assert all(m.compliance_aid for m in active.values())
    assert Intervention.objects.count() == 4
    listed = (
        api(pharmacist)
        .get("/api/v1/medications/", {"patient": patient.pk, "active": "true"})
        .json()
    )
    assert sorted(m["name"] for m in listed["results"]) == ["Lercanidipine", "Ramipril"]


def test_pic_and_manager_see_none_of_it(api, member, patient, pharmacist):
    api(pharmacist).post(URL, visit_body(patient), format="json")
    for role in ("pic", "manager", "partner_system"):
        client = api(member(role))
        assert client.get(URL).status_code == 403
        assert client.post(URL, visit_body(patient), format="json").status_code == 403
        assert client.get("/api/v1/medications/").status_code == 403
        assert client.get("/api/v1/supplies/").status_code == 403
        assert client.get("/api/v1/medication-reviews/").status_code == 403
    assert Visit.objects.count() == 1


def test_other_networks_patient_is_400(api, pharmacist, foreign_patient):
    response = api(pharmacist).post(URL, visit_body(foreign_patient), format="json")
    assert response.status_code == 400 and "patient" in response.json()


def test_visit_list_filter_and_query_count(
    api, pharmacist, patient, network, django_assert_max_num_queries
):
    client = api(pharmacist)
    other = PatientFactory(network=network)
    client.post(URL, visit_body(patient), format="json")
    client.post(
        URL, visit_body(other, follow_up_on=timezone.localdate().isoformat()), format="json"
    )
    assert [v["patient"] for v in client.get(URL, {"patient": other.pk}).json()["results"]] == [
        other.pk
    ]
    with django_assert_max_num_queries(9):
        client.get(URL)
    for _ in range(15):
        client.post(
            URL, visit_body(other, follow_up_on=timezone.localdate().isoformat()), format="json"
        )
    with django_assert_max_num_queries(9):
        assert client.get(URL).json()["count"] == 17


def test_supplies_manual_and_csv_upload(api, pharmacist, patient):
    from django.core.files.uploadedfile import SimpleUploadedFile

    medication_add(
        patient=patient, by=pharmacist, name="Amlodipine", dose_amount=1, frequency="once_daily"
    )
    client = api(pharmacist)
    today = timezone.localdate()
    response = client.post(
        "/api/v1/supplies/",
        {
            "patient": patient.pk,
            "medicine": "Amlodipine",
            "dispensed_on": (today - datetime.timedelta(days=3)).isoformat(),
            "quantity": "28",
        },
        format="json",
    )
    assert response.status_code == 201 and response.json()["findings"] == []
    bad = (
        "medicine,dispensed_on,quantity\n"
        "Amlodipine,2026-13-01,28\n"
        ",2026-11-01,28\n"
        "Amlodipine,2026-11-01,-3\n"
    )
    response = client.post(
        "/api/v1/supplies/upload/",
        {"patient": patient.pk, "file": SimpleUploadedFile("d.csv", bad.encode(), "text/csv")},
        format="multipart",
    )
    assert response.status_code == 400
    errors = response.json()["file"]
    assert [e.split(":")[0] for e in errors] == ["Line 2", "Line 3", "Line 4"]
    assert Supply.objects.count() == 1
    rows = "\n".join(
        f"Amlodipine,{(today - datetime.timedelta(days=d)).strftime('%d/%m/%Y')},56"
        for d in (40, 20, 10)
    )
    good = "medicine,dispensed_on,quantity\n" + rows + "\n"
    response = client.post(
        "/api/v1/supplies/upload/",
        {"patient": patient.pk, "file": SimpleUploadedFile("d.csv", good.encode(), "text/csv")},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert len(data["added"]) == 3
    assert {f["code"] for f in data["findings"]} >= {"medicines_stockpile"}
    assert [r["service"] for r in data["referrals"]] == ["medicines_optimisation"]


def test_medication_review_record(api, pharmacist, patient):
    client = api(pharmacist)
    today = timezone.localdate().isoformat()
    response = client.post(
        "/api/v1/medication-reviews/",
        {
            "patient": patient.pk,
            "reviewed_on": today,
            "outcome": "changes_made",
            "agreed_actions": "Stop amlodipine; review BP in 2 weeks",
        },
        format="json",
    )
    assert response.status_code == 201 and response.json()["reviewer"] == pharmacist.username
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    response = client.post(
        "/api/v1/medication-reviews/",
        {"patient": patient.pk, "reviewed_on": future, "outcome": "no_change"},
        format="json",
    )
    assert response.status_code == 400 and "reviewed_on" in response.json()


def test_csv_reports_future_dates_by_line_and_visits_have_sane_dates(
    api, pharmacist, patient, member
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    future = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    text = f"medicine,dispensed_on,quantity\n\nAmlodipine,{future},28\n"
    response = api(pharmacist).post(
        "/api/v1/supplies/upload/",
        {"patient": patient.pk, "file": SimpleUploadedFile("d.csv", text.encode(), "text/csv")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["file"] == ["Line 3: the dispensing date is in the future"]
    old = api(pharmacist).post(
        URL, visit_body(patient, visited_at="1900-01-01T10:00:00+00:00"), format="json"
    )
    assert old.status_code == 400 and "visited_at" in old.json()
    me = api(pharmacist).post(
        URL, visit_body(patient, joint_visitor=pharmacist.username), format="json"
    )
    assert me.status_code == 400 and "joint_visitor" in me.json()
    partner = member("partner_system")
    response = api(pharmacist).post(
        URL, visit_body(patient, joint_visitor=partner.username), format="json"
    )
    assert response.status_code == 400
    assert not Visit.objects.exists()


def test_visit_with_an_intervention_off_the_list_matches_the_published_schema(
    api, pharmacist, patient
):
    """Found by the API fuzz test: an intervention on no medication-list line has
    `"medication": null`; the schema said integer."""
    from tests.openapi import assert_matches_schema

    client = api(pharmacist)
    created = client.post(
        URL,
        visit_body(patient, interventions=[{"kind": "other", "note": "Dosette box"}]),
        format="json",
    ).json()
    response = client.get(f"{URL}{created['id']}/")
    assert response.json()["interventions"][0]["medication"] is None
    assert_matches_schema(response, "get", "/api/v1/visits/{id}/")
