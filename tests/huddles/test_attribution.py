"""Every write to a meeting is attributable: the row history of meetings, attendance and agenda
items names the person who made it, or the system (beat, a new network) and how."""

import datetime

import pytest
from django.apps import apps
from django.utils import timezone

from huddles import services
from huddles.models import AgendaItem, Meeting
from huddles.tasks import schedule_meetings
from networks.models import Network
from networks.services import network_create
from referrals.services import referral_accept, referral_create
from tests.factories import PatientFactory, UserFactory, meeting_started

pytestmark = pytest.mark.django_db


def context_of(model: str, pk: int) -> dict:
    """The pghistory context of the latest event row of one huddles row."""
    event = (
        apps.get_model("huddles", f"{model}Event")
        .objects.filter(pgh_obj_id=pk)
        .select_related("pgh_context")
        .latest("pgh_id")
    )
    assert event.pgh_context is not None
    return event.pgh_context.metadata


def test_a_moved_meeting_names_who_moved_it(chair, meeting):
    later = meeting.starts_at + datetime.timedelta(hours=2)
    services.meeting_move(meeting=meeting, starts_at=later, by=chair)
    context = context_of("Meeting", meeting.pk)
    assert context["user"] == chair.pk and context["username"] == chair.username


def test_a_cancelled_meeting_and_its_moved_agenda_name_who_cancelled(chair, meeting, patient):
    item = services.agenda_add(meeting=meeting, patient=patient, by=chair, reason="Falls")
    services.meeting_cancel(meeting=meeting, by=chair, reason="Bank holiday")
    assert context_of("Meeting", meeting.pk)["user"] == chair.pk
    assert context_of("AgendaItem", item.pk)["user"] == chair.pk


def test_attendance_and_reordering_name_the_chair(chair, member, meeting, network):
    gp = member("gp")
    attendance = services.attendance_set(meeting=meeting, user=gp, present=True, by=chair)
    assert context_of("Attendance", attendance.pk)["user"] == chair.pk
    first, second = (
        services.agenda_add(
            meeting=meeting, patient=PatientFactory(network=network), by=gp, reason="x"
        )
        for _ in range(2)
    )
    assert context_of("AgendaItem", first.pk)["user"] == gp.pk
    services.agenda_reorder(meeting=meeting, item_ids=[second.pk, first.pk], by=chair)
    assert context_of("AgendaItem", first.pk)["user"] == chair.pk


def test_the_next_agenda_built_at_the_close_names_the_chair_not_beat(chair, meeting, patient):
    services.agenda_add(meeting=meeting, patient=patient, by=chair, reason="Falls")
    services.meeting_close(meeting=meeting_started(meeting), by=chair)
    carried = AgendaItem.objects.filter(patient=patient, source="carried").get()
    context = context_of("AgendaItem", carried.pk)
    assert context["user"] == chair.pk and "via" not in context
    assert context_of("Meeting", meeting.pk)["user"] == chair.pk


def test_beat_scheduling_is_recorded_as_the_system(network):
    assert schedule_meetings() > 0
    meeting = Meeting.objects.filter(network=network).first()
    context = context_of("Meeting", meeting.pk)
    assert context["user"] is None
    assert context["username"] == "system" and context["via"] == "beat:schedule_meetings"


def test_the_agenda_built_by_the_reminder_sweep_is_recorded_as_the_system(
    chair, member, network, meeting
):
    person = PatientFactory(network=network)
    referral = referral_create(patient=person, service="mdt", reason="Falls", by=member("gp"))
    referral_accept(referral=referral.referral, by=chair)
    second = Meeting.objects.filter(network=network, starts_at__gt=meeting.starts_at).first()
    (added,) = services.agenda_build(meeting=second)  # as the sweep calls it
    context = context_of("AgendaItem", added.pk)
    assert context["user"] is None and context["username"] == "system"


def test_a_new_network_has_its_meetings_scheduled_by_whoever_created_it(member, network):
    admin = member("chair")
    created = network_create(
        network=Network(name="Purbeck", slug="purbeck", vocabulary="hub", meeting_weekdays=[1]),
        by=admin,
    )
    meetings = Meeting.objects.filter(network=created)
    assert meetings.filter(starts_at__gte=timezone.now()).exists()
    context = context_of("Meeting", meetings.first().pk)
    assert context["user"] == admin.pk and context["via"] == "network_created"


def test_a_network_added_in_the_admin_has_its_meetings(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/admin/networks/network/add/",
        {
            "name": "Purbeck",
            "slug": "purbeck",
            "vocabulary": "hub",
            "cadence": "weekly",
            "meeting_weekdays": "1",
            "meeting_time": "13:00",
            "meeting_minutes": "60",
            "bank_holidays": "next_working_day",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    network = Network.objects.get(slug="purbeck")
    assert Meeting.objects.filter(network=network).exists()
    assert context_of("Meeting", Meeting.objects.filter(network=network).first().pk)["user"] == (
        admin.pk
    )
