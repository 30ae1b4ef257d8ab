import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import Conflict
from huddles import services
from huddles.models import AgendaItem, Episode, Meeting
from referrals.models import RedFlag, Referral
from referrals.services import flag_raise, referral_accept, referral_create
from tests.factories import PatientFactory, meeting_started

pytestmark = pytest.mark.django_db


@pytest.fixture
def chair(member):
    return member("chair")


@pytest.fixture
def meetings(network):
    network.cadence, network.meeting_weekdays = "weekly", [timezone.localdate().weekday()]
    network.save()
    services.meetings_schedule(network=network)
    return list(Meeting.objects.filter(network=network).order_by("starts_at"))


def accept_to_mdt(patient, by, chair):
    referral = referral_create(
        patient=patient, service="mdt", reason="Frequent falls", by=by
    ).referral
    return referral_accept(referral=referral, by=chair)


def test_accepted_mdt_referral_opens_an_episode_and_joins_the_next_agenda(
    meetings, patient, chair, member
):
    referral = accept_to_mdt(patient, member("gp"), chair)
    item = AgendaItem.objects.get(patient=patient)
    assert item.meeting == meetings[0] and item.source == "referral" and item.referral == referral
    episode = Episode.objects.get(patient=patient)
    assert episode.closed_at is None and episode.referral == referral


def test_discharge_needs_the_admission_answer_and_closes_the_episode(
    meetings, patient, chair, member
):
    accept_to_mdt(patient, member("gp"), chair)
    item = AgendaItem.objects.get(patient=patient)
    with pytest.raises(ValidationError):
        services.item_update(item=item, by=chair, decision="discharge")
    item.refresh_from_db()
    assert item.decision == "" and item.status == "pending"
    item = services.item_update(
        item=item,
        by=chair,
        decision="discharge",
        admission_avoided="yes",
        decision_reason="Stable at home with carers",
    )
    assert (item.status, item.decided_by) == ("discussed", chair)
    episode = Episode.objects.get(patient=patient)
    assert episode.closed_at and episode.admission_avoided == "yes"
    assert Referral.objects.get(service="mdt").status == "completed"
    # a person can return: a new episode
    accept_to_mdt(patient, member("gp", username="gp2"), chair)
    assert Episode.objects.filter(patient=patient).count() == 2


def test_stale_edit_is_refused_and_nothing_overwritten(meetings, patient, chair, member):
    accept_to_mdt(patient, member("gp"), chair)
    item = AgendaItem.objects.get(patient=patient)
    first = services.item_update(
        item=item, by=chair, version=item.version, notes="Daughter worried"
    )
    with pytest.raises(services.ItemConflict) as exc:
        services.item_update(item=item, by=chair, version=item.version, notes="My older text")
    assert exc.value.item.notes == "Daughter worried" and exc.value.item.version == first.version
    item.refresh_from_db()
    assert item.notes == "Daughter worried"


def test_continue_sets_a_review_and_the_person_returns_when_it_is_due(
    meetings, patient, chair, member
):
    accept_to_mdt(patient, member("gp"), chair)
    item = AgendaItem.objects.get(patient=patient)
    review_on = timezone.localdate(meetings[2].starts_at)
    services.item_update(item=item, by=chair, decision="continue", next_review_on=review_on)
    services.meeting_close(meeting=meeting_started(meetings[0]), by=chair)
    assert services.agenda_build(meeting=meetings[1]) == []  # not due yet
    added = services.agenda_build(meeting=meetings[2])
    assert [(i.patient, i.source) for i in added] == [(patient, "review")]


def test_not_reached_items_carry_over(meetings, network, chair, member):
    gp = member("gp")
    people = PatientFactory.create_batch(2, network=network)
    for person in people:
        accept_to_mdt(person, gp, chair)
    first = AgendaItem.objects.get(patient=people[0])
    services.item_update(
        item=first,
        by=chair,
        decision="continue",
        next_review_on=timezone.localdate(meetings[3].starts_at),
    )
    services.meeting_close(meeting=meeting_started(meetings[0]), by=chair)
    assert AgendaItem.objects.get(meeting=meetings[0], patient=people[1]).status == "not_reached"
    # Closing builds the next agenda at once (no page builds it on a GET).
    carried = meetings[1].items.exclude(status="removed")
    assert [(i.patient, i.source) for i in carried] == [(people[1], "carried")]
    assert services.agenda_build(meeting=meetings[1]) == []  # idempotent


def test_urgent_red_flag_since_last_discussion_puts_the_person_on(meetings, patient, chair, member):
    accept_to_mdt(patient, member("gp"), chair)
    item = AgendaItem.objects.get(patient=patient)
    services.item_update(
        item=item,
        by=chair,
        decision="continue",
        next_review_on=timezone.localdate(meetings[4].starts_at),
    )
    services.meeting_close(meeting=meeting_started(meetings[0]), by=chair)
    assert services.agenda_build(meeting=meetings[1]) == []
    flag_raise(
        patient=patient,
        flag=RedFlag.objects.get(code="no_heating"),
        by=member("pic"),
        raised_from="visit",
    )
    added = services.agenda_build(meeting=meetings[1])
    assert [(i.patient, i.source) for i in added] == [(patient, "red_flag")]
    assert "Heating" in added[0].reason


def test_cancelling_moves_the_agenda_to_the_next_meeting(meetings, patient, chair, member):
    accept_to_mdt(patient, member("gp"), chair)
    target = services.meeting_cancel(meeting=meetings[0], by=chair, reason="Bank holiday")
    assert target == meetings[1]
    assert AgendaItem.objects.get(meeting=meetings[1], patient=patient).status == "pending"
    assert AgendaItem.objects.get(meeting=meetings[0], patient=patient).status == "removed"
    with pytest.raises(Conflict):
        services.meeting_cancel(meeting=meetings[0], by=chair)
    services.meetings_schedule(network=meetings[0].network)
    assert (
        Meeting.objects.filter(scheduled_for=meetings[0].scheduled_for).count() == 1
    )  # not recreated


def test_move_a_meeting(meetings, chair):
    later = meetings[0].starts_at + datetime.timedelta(hours=2)
    moved = services.meeting_move(meeting=meetings[0], starts_at=later, by=chair)
    assert moved.starts_at == later and moved.scheduled_for == meetings[0].scheduled_for
    with pytest.raises(ValidationError):
        services.meeting_move(
            meeting=meetings[0], starts_at=timezone.now() - datetime.timedelta(days=1), by=chair
        )


def test_actions_from_the_meeting(meetings, patient, chair, member):
    accept_to_mdt(patient, member("gp"), chair)
    item = AgendaItem.objects.get(patient=patient)
    action = services.meeting_action_add(
        item=item,
        by=chair,
        title="Check heating",
        due_on=timezone.localdate() + datetime.timedelta(days=3),
        assignee_role="social_worker",
    )
    assert action.agenda_item == item and action.source == "meeting"
    assert "huddle" in action.details
