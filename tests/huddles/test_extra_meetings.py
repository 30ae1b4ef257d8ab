"""Extra meetings (API.md 1.1, Huddles: `POST /api/v1/huddles/`): the chair adds one beside
the cadence, e.g. for an urgent MDT referral, which the meetings page offers when the next
meeting is more than two working days away."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from huddles import selectors, services
from huddles.models import AgendaItem, Meeting
from referrals.services import referral_accept, referral_create
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chair(member):
    return member("chair")


@pytest.fixture
def far(network):
    """Weekly meetings six days from today: more than two working days away."""
    network.cadence = "weekly"
    network.meeting_weekdays = [(timezone.localdate() + timedelta(days=6)).weekday()]
    network.save()
    services.meetings_schedule(network=network)
    return Meeting.objects.filter(network=network).order_by("starts_at").first()


def accept(patient, member, chair, urgency="urgent"):
    referral = referral_create(
        patient=patient,
        service="mdt",
        reason="Falls twice this week",
        by=member("gp"),
        urgency=urgency,
    ).referral
    return referral_accept(referral=referral, by=chair)


def tomorrow_at_ten():
    day = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))


def test_an_urgent_referral_waiting_too_long_is_offered_and_brought_to_an_extra_meeting(
    client, far, patient, member, chair
):
    referral = accept(patient, member, chair)
    routine = PatientFactory(network=far.network)
    accept(routine, member, chair, urgency="routine")
    assert [i.patient for i in selectors.urgent_waiting(far.network)] == [patient]

    client.force_login(chair)
    page = client.get("/meetings/").content.decode()
    assert "Urgent referrals waiting more than 2 working days" in page
    assert f'value="{patient.pk}"' in page and f'value="{routine.pk}"' not in page

    starts = (timezone.localtime() + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    response = client.post(
        "/meetings/new/",
        {
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "reason": "Urgent referral",
            "patients": [patient.pk],
        },
    )
    extra = Meeting.objects.get(network=far.network, scheduled_for__isnull=True)
    assert response.status_code == 302 and response["Location"] == f"/meetings/{extra.pk}/"
    assert (extra.starts_at, extra.reason, extra.status) == (starts, "Urgent referral", "scheduled")
    moved = AgendaItem.objects.get(meeting=extra, patient=patient)
    assert moved.referral == referral and moved.source == "referral"
    assert AgendaItem.objects.get(meeting=far, patient=patient).status == "removed"
    assert AgendaItem.objects.get(meeting=far, patient=routine).status == "pending"
    assert selectors.urgent_waiting(far.network) == []
    listed = client.get("/meetings/").content.decode()
    assert "Extra</span>" in listed and "Urgent referrals waiting" not in listed


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"starts_at": "2020-01-01T10:00", "reason": "Urgent"}, "cannot start in the past"),
        ({"starts_at": "", "reason": "Urgent"}, "Give the date and time."),
        ({"starts_at": "2030-01-01T10:00", "reason": " "}, "Say why the extra meeting"),
        ({"starts_at": "soon", "reason": "Urgent"}, "Give a date and time."),
    ],
)
def test_bad_input_is_a_clear_error_and_nothing_is_added(client, far, chair, data, words):
    client.force_login(chair)
    before = Meeting.objects.count()
    response = client.post("/meetings/new/", data)
    assert response.status_code == 422
    assert words in response.content.decode()
    assert Meeting.objects.count() == before


def test_a_person_not_offered_cannot_be_brought(client, far, chair, foreign_patient):
    client.force_login(chair)
    response = client.post(
        "/meetings/new/",
        {"starts_at": "2030-01-01T10:00", "reason": "Urgent", "patients": [foreign_patient.pk]},
    )
    assert response.status_code == 422
    assert not Meeting.objects.filter(scheduled_for__isnull=True).exists()


def test_a_clash_with_another_meeting_is_refused(far, chair):
    with pytest.raises(ValidationError, match="already a meeting at that time"):
        services.meeting_add(network=far.network, starts_at=far.starts_at, reason="x", by=chair)


def test_the_schedule_leaves_extra_meetings_alone(far, chair):
    extra = services.meeting_add(
        network=far.network, starts_at=far.starts_at + timedelta(hours=3), reason="x", by=chair
    )
    assert services.meetings_schedule(network=far.network) == 0
    extra.refresh_from_db()
    assert extra.status == "scheduled" and extra.scheduled_for is None


@pytest.mark.parametrize("role", ["gp", "pharmacist", "pic", "manager"])
def test_only_the_chair_adds_a_meeting(client, far, member, role):
    client.force_login(member(role))
    response = client.post("/meetings/new/", {"starts_at": "2030-01-01T10:00", "reason": "x"})
    assert response.status_code == 403
    assert not Meeting.objects.filter(scheduled_for__isnull=True).exists()


def test_the_api_adds_a_meeting_for_the_chair(api, far, chair, member, other_network):
    body = {"network": "thornton-heath", "starts_at": "2030-01-07T10:00:00Z", "reason": "Urgent"}
    response = api(chair).post("/api/v1/huddles/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["starts_at"] == "2030-01-07T10:00:00Z"
    assert Meeting.objects.get(pk=response.json()["id"]).reason == "Urgent"

    assert api(member("gp")).post("/api/v1/huddles/", body, format="json").status_code == 403
    foreign = {**body, "network": "purbeck"}
    assert api(chair).post("/api/v1/huddles/", foreign, format="json").status_code == 400
    past = {**body, "starts_at": "2020-01-07T10:00:00Z"}
    response = api(chair).post("/api/v1/huddles/", past, format="json")
    assert response.status_code == 400 and "starts_at" in response.json()
    assert Meeting.objects.filter(scheduled_for__isnull=True).count() == 1


def test_the_meetings_page_query_count_does_not_grow_with_urgent_people(
    client, far, member, chair, django_assert_max_num_queries
):
    accept(PatientFactory(network=far.network), member, chair)
    client.force_login(chair)
    with django_assert_max_num_queries(40) as few:
        client.get("/meetings/")
    for _ in range(5):
        accept(PatientFactory(network=far.network), member, chair)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/meetings/")
