"""The pre-meeting pack (issue #15.5): before the meeting each member hears, for each of their
people on the agenda, what changed since the person was last discussed (visits and NEWS2,
referrals, red flags, tasks done and overdue); the chair's pack says it for everyone. Roles
that may not read visits hear the names only. The sweep's cost does not grow with the agenda."""

from datetime import timedelta

import pytest
from django.utils import timezone

from actions.models import Action
from huddles.models import AgendaItem, Meeting
from huddles.reminders import sweep_meetings
from medicines.models import Visit
from medicines.services import visit_log
from patients.models import CareTeamMember
from referrals.models import RedFlag
from referrals.services import flag_raise, referral_create
from tests.factories import ActionFactory, PatientFactory
from tests.reminders import got

pytestmark = pytest.mark.django_db


@pytest.fixture
def soon(network, chair):
    """A meeting 23 hours from now (its 24-hour reminder is due) and one held 10 days ago."""
    now = timezone.now()
    past = Meeting.objects.create(
        network=network, starts_at=now - timedelta(days=10), status="closed", chair=chair
    )
    meeting = Meeting.objects.create(
        network=network, starts_at=now + timedelta(hours=23), chair=chair
    )
    return {"now": now, "past": past, "meeting": meeting}


def put_on(meeting, patient, position=1):
    return AgendaItem.objects.create(
        meeting=meeting, patient=patient, source="manual", reason="Falls", position=position
    )


def visit(patient, by, days_ago, news2=None):
    logged = visit_log(
        patient=patient, by=by, kind="home", visited_at=timezone.now() - timedelta(days=days_ago)
    ).visit
    Visit.objects.filter(pk=logged.pk).update(news2_score=news2)


def test_each_member_hears_what_changed_for_their_people(soon, network, chair, member, patient):
    nurse, pic, gp = member("community_nurse"), member("pic"), member("gp")
    for user in (nurse, pic):
        CareTeamMember.objects.create(
            patient=patient, membership=user.memberships.get(), added_by=chair
        )
    # Discussed 10 days ago; since then a visit with NEWS2 6, a referral, a red flag, a task
    # done and one overdue. The visit before the discussion is not news.
    put_on(soon["past"], patient)
    AgendaItem.objects.filter(meeting=soon["past"]).update(
        status="discussed", decided_at=soon["now"] - timedelta(days=10), decision="continue"
    )
    visit(patient, nurse, days_ago=20, news2=2)
    visit(patient, nurse, days_ago=3, news2=6)
    referral_create(patient=patient, service="social_services", reason="Carer strain", by=gp)
    flag_raise(
        patient=patient,
        flag=RedFlag.objects.get(code="no_heating"),
        by=nurse,
        raised_from="patient",
    )
    ActionFactory(
        patient=patient,
        title="Ring the daughter",
        status=Action.Status.DONE,
        done_at=soon["now"] - timedelta(days=1),
    )
    ActionFactory(
        patient=patient, title="Check the boiler", due_on=timezone.localdate() - timedelta(days=2)
    )
    ActionFactory(
        patient=patient,
        title="Old task",
        status=Action.Status.DONE,
        done_at=soon["now"] - timedelta(days=30),
    )
    new = PatientFactory(network=network, given_name="Arthur", family_name="Dent")
    put_on(soon["meeting"], patient, 1)
    put_on(soon["meeting"], new, 2)

    sweep_meetings(soon["now"])

    [items] = got(nurse, "meeting_items")
    body = items.body
    assert "Edith Okafor" in body and "Arthur" not in body
    discussed = timezone.localtime(soon["now"] - timedelta(days=10))
    assert f"since discussed {discussed:%-d %b}" in body
    assert "1 visit, latest NEWS2 6" in body  # the visit 20 days ago is older
    assert "Social services (new)" in body
    assert f"red flags: {RedFlag.objects.get(code='no_heating').label}" in body
    assert "tasks done: Ring the daughter" in body and "Old task" not in body
    assert "overdue: Check the boiler" in body
    # The PIC hears who, not the clinical detail.
    [pic_items] = got(pic, "meeting_items")
    assert "Edith Okafor" in pic_items.body
    assert "NEWS2" not in pic_items.body and "visit" not in pic_items.body
    # The chair's pack: everyone, the same way; a person never discussed says so.
    [pack] = got(chair, "meeting_pack")
    assert "1. Edith Okafor: Falls" in pack.body and "latest NEWS2 6" in pack.body
    assert "2. Arthur Dent: Falls" in pack.body and "not discussed before" in pack.body
    assert "nothing new" in pack.body


def test_the_pack_costs_the_same_queries_for_any_agenda(
    soon, network, chair, member, django_assert_max_num_queries
):
    nurse = member("community_nurse")

    def grow(n, start):
        for i in range(n):
            person = PatientFactory(network=network)
            put_on(soon["meeting"], person, start + i)
            CareTeamMember.objects.create(
                patient=person, membership=nurse.memberships.get(), added_by=chair
            )
            visit(person, nurse, days_ago=1, news2=3)
            ActionFactory(patient=person, due_on=timezone.localdate() - timedelta(days=1))

    grow(1, 1)
    with django_assert_max_num_queries(40) as small:
        sweep_meetings(soon["now"])
    Meeting.objects.filter(pk=soon["meeting"].pk).update(
        starts_at=soon["meeting"].starts_at + timedelta(minutes=1)  # announced again
    )
    grow(5, 2)
    with django_assert_max_num_queries(len(small.captured_queries)):
        sweep_meetings(soon["now"])
    assert "Since each was last discussed" in got(nurse, "meeting_items")[0].body
