"""One-line fields (titles, names) refuse line breaks (API.md, Input rules): 400 on the API
naming the field, the message beside the field on pages, nothing saved. The validator sits on
the model fields, so model forms and model serializers pick it up; plain form and serializer
fields name it themselves."""

import datetime
import html

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from actions.models import Action
from core.validators import one_line, single_line
from huddles import services as huddles_services
from medicines.models import Supply
from patients.models import Patient

# About input rules, not about who is involved in a person's care (conftest.everyone_involved).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]
MESSAGE = "Use a single line (no line breaks)."
SOON = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\r\nb", "a\u2028b", "a\x85b", "a\x0bb"])
def test_single_line_refuses_every_line_break(value):
    with pytest.raises(ValidationError, match="single line"):
        single_line(value)
    assert one_line(value) == "a b"


def test_single_line_accepts_one_line():
    single_line("Ring her daughter about the keys (tel. 01234 567890)")


@pytest.mark.parametrize("title", ["Ring her daughter\r\nBcc: x@example.com", "Ring\nher"])
def test_a_task_title_with_a_line_break_is_400_on_the_api(api, member, patient, title):
    response = api(member("chair")).post(
        "/api/v1/tasks/",
        {"patient": patient.pk, "title": title, "assignee_role": "pharmacist", "due_on": SOON},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"title": [MESSAGE]}
    assert not Action.objects.exists()


def test_a_meeting_action_title_with_a_line_break_is_refused_beside_the_field(
    client, member, patient, network
):
    chair = member("chair")
    member("pharmacist")
    meeting = huddles_services.next_meeting(network)
    item = huddles_services.agenda_add(meeting=meeting, patient=patient, by=chair, reason="Falls")
    client.force_login(chair)
    response = client.post(
        f"/meetings/{meeting.pk}/items/{item.pk}/actions/",
        {"title": "Review warfarin\r\ntoday", "assignee": "role:pharmacist", "due_on": SOON},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    page = text(response)
    assert MESSAGE in page
    assert 'id="action-title"' in page  # the form is shown again, with the field
    assert not Action.objects.exists()


def test_a_patient_name_with_a_line_break_is_400_on_the_api(api, member, network):
    body = {
        "nhs_number": "999 000 0018",
        "given_name": "Margaret\nBcc: x@example.com",
        "family_name": "Hughes",
        "date_of_birth": "1938-04-02",
        "network": "thornton-heath",
    }
    response = api(member("pharmacist")).post("/api/v1/patients/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"given_name": [MESSAGE]}
    assert not Patient.objects.filter(family_name="Hughes").exists()


def test_a_medicine_name_with_a_line_break_is_refused_on_the_api_and_the_page(
    api, client, member, patient
):
    pharmacist = member("pharmacist")
    day = (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
    body = {"patient": patient.pk, "medicine": "Amlodipine\r\n5 mg", "dispensed_on": day}
    response = api(pharmacist).post("/api/v1/supplies/", {**body, "quantity": "28"}, format="json")
    assert response.status_code == 400 and response.json() == {"medicine": [MESSAGE]}
    client.force_login(pharmacist)
    page = client.post(
        f"/medicines/patients/{patient.pk}/dispensing/",
        {"form": "manual", "medicine": "Amlodipine\r\n5 mg", "dispensed_on": day, "quantity": "28"},
    )
    assert page.status_code == 422 and MESSAGE in text(page)
    assert not Supply.objects.exists()
