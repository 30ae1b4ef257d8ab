"""Every discharge with an admission-avoided answer counts in the reports on the day it was
recorded, whoever put the person on the agenda (issue #15.4): the dashboard, its CSV and the
API's reports read episodes, and a person comes onto the caseload (an episode opens) when
they first come to the huddle by any route."""

import csv
import io

import pytest
from django.utils import timezone

from huddles import services
from huddles.models import AgendaItem, Episode, Meeting
from referrals.services import referral_accept, referral_create
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(network):
    network.cadence, network.meeting_weekdays = "weekly", [timezone.localdate().weekday()]
    network.save()
    services.meetings_schedule(network=network)
    return Meeting.objects.filter(network=network).order_by("starts_at").first()


@pytest.fixture
def chair(member):
    return member("chair")


def month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def avoided_row(client) -> list[str]:
    """This month's row of the admissions-avoided CSV: month, yes, no, unsure, total."""
    response = client.get(f"/reports/export/admissions_avoided.csv?from={month()}&to={month()}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    return rows[1]


def dashboard_row(client) -> list[object]:
    response = client.get(f"/reports/?from={month()}&to={month()}")
    assert response.status_code == 200
    table = response.context["tables"]["admissions_avoided"]
    return [cell.value for cell in table.rows[0]]


def discharge(item, chair, answer="yes"):
    return services.item_update(item=item, by=chair, decision="discharge", admission_avoided=answer)


def test_a_person_the_chair_added_opens_an_episode_and_their_discharge_counts(
    client, api, meeting, chair, network
):
    added = PatientFactory(network=network, given_name="Edith")
    item = services.agenda_add(meeting=meeting, patient=added, by=chair, reason="Carer worried")
    episode = Episode.objects.get(patient=added)
    assert episode.closed_at is None and episode.network == network and episode.referral is None
    client.force_login(chair)
    assert avoided_row(client) == [month(), "0", "0", "0", "0"]
    discharge(item, chair, "yes")
    assert avoided_row(client) == [month(), "1", "0", "0", "1"]
    assert dashboard_row(client)[1:] == [1, 0, 0, 1]
    data = (
        api(chair)
        .get(
            "/api/v1/reports/admissions-avoided/",
            {"network": network.slug, "from": month(), "to": month()},
        )
        .json()
    )
    assert data["total_yes"] == 1


def test_every_route_onto_the_agenda_counts_and_each_person_once(
    client, meeting, chair, member, network
):
    by_hand = PatientFactory(network=network)
    referred = PatientFactory(network=network)
    services.agenda_add(meeting=meeting, patient=by_hand, by=chair, reason="")
    referral = referral_create(
        patient=referred, service="mdt", reason="Falls", by=member("gp")
    ).referral
    referral_accept(referral=referral, by=chair)
    assert Episode.objects.filter(closed_at__isnull=True).count() == 2
    # Adding the person again elsewhere never opens a second episode.
    later = Meeting.objects.filter(network=network).order_by("starts_at")[1]
    services.agenda_add(meeting=later, patient=by_hand, by=chair, reason="")
    assert Episode.objects.filter(patient=by_hand).count() == 1
    for item, answer in zip(
        AgendaItem.objects.filter(meeting=meeting), ["no", "unsure"], strict=True
    ):
        discharge(item, chair, answer)
    client.force_login(chair)
    assert avoided_row(client) == [month(), "0", "1", "1", "2"]


def test_a_discharge_with_no_open_episode_still_counts(client, meeting, chair, network):
    """A person already discharged at one meeting and still on a later agenda (or put on it
    before episodes opened there): the second discharge is a discharge too."""
    person = PatientFactory(network=network)
    item = services.agenda_add(meeting=meeting, patient=person, by=chair, reason="")
    Episode.objects.filter(patient=person).delete()  # as before this change
    discharge(item, chair, "yes")
    client.force_login(chair)
    assert avoided_row(client) == [month(), "1", "0", "0", "1"]


def test_changing_the_answer_moves_the_count_and_withdrawing_it_removes_it(
    client, meeting, chair, network
):
    person = PatientFactory(network=network)
    item = services.agenda_add(meeting=meeting, patient=person, by=chair, reason="")
    item = discharge(item, chair, "yes")
    first_closed = Episode.objects.get(patient=person).closed_at
    item = services.item_update(item=item, by=chair, admission_avoided="no")
    client.force_login(chair)
    assert avoided_row(client) == [month(), "0", "1", "0", "1"]
    item = discharge(item, chair, "unsure")  # the same decision again: still one discharge
    assert avoided_row(client) == [month(), "0", "0", "1", "1"]
    assert Episode.objects.get(patient=person).closed_at == first_closed
    services.item_update(item=item, by=chair, decision="continue")
    assert avoided_row(client) == [month(), "0", "0", "0", "0"]
    assert Episode.objects.get(patient=person).closed_at is None
