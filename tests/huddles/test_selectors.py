"""Reads for meetings: "yours" is the same rule as My work (actions_for_me, cover included),
on the agenda, in meeting mode and on the list of meetings."""

import datetime
import html

import pytest
from django.utils import timezone

from actions.models import Action
from actions.selectors import my_work
from huddles import selectors, services
from networks.services import cover_set
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(network):
    return services.next_meeting(network)


def test_a_deputy_sees_the_colleagues_people_as_theirs_in_the_meeting_as_on_my_work(
    client, member, network, meeting
):
    chair = member("chair")
    away = member("community_nurse", username="nurse.away")
    deputy = member("community_nurse", username="nurse.deputy")
    today = timezone.localdate()
    cover_set(
        network=network,
        member=away,
        deputy=deputy,
        starts_on=today - datetime.timedelta(days=1),
        ends_on=today + datetime.timedelta(days=3),
        by=chair,
    )
    covered, other = PatientFactory.create_batch(2, network=network)
    action = Action.objects.create(
        network=network,
        patient=covered,
        title="Check the pressure areas",
        assignee=away,
        due_on=today,
        created_by=chair,
    )
    item = services.agenda_add(meeting=meeting, patient=covered, by=chair, reason="Falls")
    services.agenda_add(meeting=meeting, patient=other, by=chair, reason="Breathless")

    # My work: the colleague's task is the deputy's today.
    assert action in my_work(deputy, network, today).tasks
    # The meeting: the same person is the deputy's, on every page and in the selector.
    assert selectors.my_patient_ids(deputy, network) == {covered.pk}
    client.force_login(deputy)
    agenda = html.unescape(client.get(f"/meetings/{meeting.pk}/").content.decode())
    assert agenda.count(">Yours</strong>") == 1 and "1 of them yours" in agenda
    run = html.unescape(client.get(f"/meetings/{meeting.pk}/run/{item.pk}/").content.decode())
    assert run.count(">Yours</strong>") == 1
    assert "1 of your people" in html.unescape(client.get("/meetings/").content.decode())


def test_when_the_cover_ends_the_colleagues_people_are_no_longer_the_deputys(
    member, network, meeting
):
    chair = member("chair")
    away = member("community_nurse", username="nurse.away")
    deputy = member("community_nurse", username="nurse.deputy")
    today = timezone.localdate()
    cover_set(
        network=network,
        member=away,
        deputy=deputy,
        starts_on=today + datetime.timedelta(days=2),
        ends_on=today + datetime.timedelta(days=5),
        by=chair,
    )
    person = PatientFactory(network=network)
    Action.objects.create(
        network=network, patient=person, title="x", assignee=away, due_on=today, created_by=chair
    )
    services.agenda_add(meeting=meeting, patient=person, by=chair, reason="Falls")
    assert selectors.my_patient_ids(deputy, network) == set()
    assert selectors.my_patient_ids(deputy, network, today + datetime.timedelta(days=3)) == {
        person.pk
    }
    marked = selectors.agenda_marked(deputy, meeting)
    assert [item.yours for item in marked] == [False]
