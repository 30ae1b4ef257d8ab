"""A person's summary as PDF (issue #15.5): what their page shows the user, on the same rules
(no clinical notes or visits for the PIC), on the access trail, refused to roles that may not
open the person, at a cost that does not grow with their record."""

import pytest
from django.utils import timezone

from audit.models import AccessEvent
from medicines.services import visit_log
from patients.models import Patient
from referrals.models import RedFlag
from referrals.services import flag_raise
from tests.factories import ActionFactory
from tests.pdf import pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]


@pytest.fixture
def person(patient, member):
    Patient.objects.filter(pk=patient.pk).update(
        clinical_notes="Type 2 diabetes, insulin dependent.",
        social_needs="Lives alone; keen gardener.",
    )
    nurse = member("community_nurse", username="nurse.summary")
    visit_log(
        patient=patient,
        by=nurse,
        kind="home",
        visited_at=timezone.now(),
        summary="Foot ulcer dressed.",
    )
    flag_raise(
        patient=patient,
        flag=RedFlag.objects.get(code="no_heating"),
        by=nurse,
        raised_from="patient",
    )
    patient.refresh_from_db()
    return patient


def url(patient) -> str:
    return f"/patients/{patient.pk}/summary.pdf"


def test_a_clinician_gets_the_whole_summary(client, member, person):
    gp = member("gp")
    client.force_login(gp)
    text = pdf_text(client.get(url(person)))
    assert person.full_name in text and person.nhs_number_display in text
    assert "Lives alone; keen gardener." in text
    assert "Type 2 diabetes, insulin dependent." in text
    assert "Foot ulcer dressed." in text
    assert RedFlag.objects.get(code="no_heating").label in text
    event = AccessEvent.objects.get(user=gp, patient=person, channel="export")
    assert (event.what, event.path) == ("summary", url(person))
    # The person's page links to it.
    assert url(person) in client.get(f"/patients/{person.pk}/").content.decode()


def test_the_pic_gets_no_clinical_notes_or_visits(client, member, person):
    client.force_login(member("pic"))
    text = pdf_text(client.get(url(person)))
    assert person.full_name in text and "Lives alone; keen gardener." in text
    assert "diabetes" not in text and "Foot ulcer" not in text and "Clinical notes" not in text


@pytest.mark.parametrize("role", ["manager", "ig_lead", "partner_system"])
def test_roles_that_may_not_open_the_person_get_no_pdf(client, member, person, role):
    client.force_login(member(role))
    response = client.get(url(person))
    assert response.status_code == 403
    assert not response.content.startswith(b"%PDF")
    assert not AccessEvent.objects.filter(channel="export", outcome="allowed").exists()


def test_another_networks_person_or_no_one_is_404_and_only_get(
    client, member, person, foreign_patient
):
    client.force_login(member("gp"))
    assert client.get(url(foreign_patient)).status_code == 404
    assert client.get("/patients/999999/summary.pdf").status_code == 404
    assert client.post(url(person)).status_code == 405


def test_the_summary_costs_the_same_queries_however_long_the_record(
    client, member, person, django_assert_max_num_queries
):
    client.force_login(member("chair"))
    client.get(url(person))
    with django_assert_max_num_queries(40) as small:
        pdf_text(client.get(url(person)))
    for _ in range(5):
        ActionFactory(patient=person, assignee_role="gp")
    with django_assert_max_num_queries(len(small.captured_queries)):
        pdf_text(client.get(url(person)))
