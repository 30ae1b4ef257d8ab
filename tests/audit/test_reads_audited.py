"""Regressions from the go-live attack pass: reads that returned a person's data and wrote
no access event. Each fails on the code before the fix."""

import pytest

from audit.models import AccessEvent
from huddles.services import agenda_add, meetings_schedule, next_meeting
from medicines.services import medication_add
from tests.factories import ActionFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _events(user, what):
    return list(
        AccessEvent.objects.filter(user=user, what=what).values_list(
            "patient_id", "channel", "outcome"
        )
    )


def test_task_list_records_each_person_once_per_row(api, member, network, patient):
    chair = member("chair")
    other = PatientFactory(network=network)
    ActionFactory(patient=patient, assignee_role="gp")
    ActionFactory(patient=other, assignee_role="gp")
    assert api(chair).get("/api/v1/tasks/").status_code == 200
    assert sorted(_events(chair, "task_list")) == sorted(
        [(patient.pk, "api", "allowed"), (other.pk, "api", "allowed")]
    )


def test_task_detail_is_recorded(api, member, patient):
    chair = member("chair")
    task = ActionFactory(patient=patient, assignee_role="gp")
    assert api(chair).get(f"/api/v1/tasks/{task.pk}/").status_code == 200
    assert _events(chair, "task") == [(patient.pk, "api", "allowed")]


def test_task_done_and_claim_are_recorded(api, member, patient):
    gp = member("gp")
    task = ActionFactory(patient=patient, assignee_role="gp")
    assert api(gp).post(f"/api/v1/tasks/{task.pk}/claim/").status_code == 200
    assert api(gp).post(f"/api/v1/tasks/{task.pk}/done/").status_code == 200
    assert _events(gp, "task_claim") == [(patient.pk, "api", "allowed")]
    assert _events(gp, "task_done") == [(patient.pk, "api", "allowed")]


def test_medication_detail_is_recorded(api, member, patient):
    chair = member("chair")
    medication = medication_add(
        patient=patient, by=chair, name="Ramipril", dose_amount=1, frequency="once_daily"
    )
    assert api(chair).get(f"/api/v1/medications/{medication.pk}/").status_code == 200
    assert _events(chair, "medication") == [(patient.pk, "api", "allowed")]


def test_huddle_list_records_the_people_on_its_agendas(api, member, network, patient):
    chair = member("chair")
    meetings_schedule(network=network)
    agenda_add(meeting=next_meeting(network), patient=patient, by=chair, reason="Falls")
    response = api(chair).get("/api/v1/huddles/")
    assert response.status_code == 200
    assert _events(chair, "meeting_list") == [(patient.pk, "api", "allowed")]


def test_patient_patch_response_is_recorded(api, member, patient):
    chair = member("chair")
    response = api(chair).patch(
        f"/api/v1/patients/{patient.pk}/", {"phone": "020 7946 0999"}, format="json"
    )
    assert response.status_code == 200
    assert _events(chair, "edit") == [(patient.pk, "api", "allowed")]


def test_who_looked_is_itself_recorded(client, api, member, patient):
    chair = member("chair")
    client.force_login(chair)
    assert client.get(f"/patients/{patient.pk}/access-log/").status_code == 200
    assert api(chair).get(f"/api/v1/patients/{patient.pk}/access-log/").status_code == 200
    assert sorted(_events(chair, "access_log")) == [
        (patient.pk, "api", "allowed"),
        (patient.pk, "page", "allowed"),
    ]


def test_referral_triage_response_is_recorded(api, member, patient):
    from referrals.services import referral_create

    nurse = member("community_nurse")
    referral = referral_create(
        patient=patient, service="medicines_optimisation", reason="Why", by=nurse
    ).referral
    chair = member("chair")
    assert api(chair).post(f"/api/v1/referrals/{referral.pk}/accept/").status_code == 200
    assert _events(chair, "referral_accept") == [(patient.pk, "api", "allowed")]
