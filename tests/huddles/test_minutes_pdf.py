"""The minutes as PDF (issue #15.5): a real PDF with the minutes' content, for the roles that
may read the minutes page and no one else, on the access trail, at a cost that does not grow
with the agenda."""

import pytest

from audit.models import AccessEvent
from huddles import services
from tests.factories import PatientFactory
from tests.pdf import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(meeting, chair, patient):
    item = services.agenda_add(meeting=meeting, patient=patient, by=chair, reason="Falls")
    return services.item_update(
        item=item,
        by=chair,
        notes="Lives alone, daughter visits weekly.",
        decision="discharge",
        admission_avoided="yes",
    )


def url(meeting) -> str:
    return f"/meetings/{meeting.pk}/minutes.pdf"


@pytest.mark.parametrize("role", ["chair", "gp", "community_nurse"])
def test_the_minutes_pdf_has_the_minutes(client, member, meeting, item, patient, role):
    user = member(role)
    client.force_login(user)
    response = client.get(url(meeting))
    text = pdf_text(response)
    assert "Minutes of the huddle" in text
    assert patient.full_name in text and patient.nhs_number_display in text
    assert "Lives alone, daughter visits weekly." in text
    assert "avoided an admission? Yes" in text
    assert "no-store" in response["Cache-Control"]
    event = AccessEvent.objects.get(user=user, patient=patient)
    assert (event.what, event.channel, event.path) == ("meeting", "export", url(meeting))
    # The minutes page links to it.
    assert url(meeting) in client.get(f"/meetings/{meeting.pk}/minutes/").content.decode()


@pytest.mark.parametrize("role", ["manager", "ig_lead", "partner_system"])
def test_roles_that_may_not_read_the_minutes_get_no_pdf(client, member, meeting, item, role):
    client.force_login(member(role))
    response = client.get(url(meeting))
    assert response.status_code == 403
    assert not response.content.startswith(b"%PDF")
    assert not AccessEvent.objects.filter(outcome="allowed", channel="export").exists()


def test_another_network_or_no_such_meeting_is_404_and_only_get(
    client, member, meeting, item, other_network, chair
):
    client.force_login(member("chair", net=other_network, username="chair.purbeck"))
    assert client.get(url(meeting)).status_code == 404
    client.force_login(chair)
    assert client.get("/meetings/999999/minutes.pdf").status_code == 404
    assert client.post(url(meeting)).status_code == 405


def test_the_pdf_costs_the_same_queries_for_any_agenda(
    client, meeting, chair, network, django_assert_max_num_queries
):
    client.force_login(chair)

    def grow(n):
        for _ in range(n):
            services.agenda_add(
                meeting=meeting, patient=PatientFactory(network=network), by=chair, reason="x"
            )

    grow(1)
    client.get(url(meeting))
    with django_assert_max_num_queries(20) as small:
        pdf_text(client.get(url(meeting)))
    grow(5)
    with django_assert_max_num_queries(len(small.captured_queries)):
        pdf_text(client.get(url(meeting)))
