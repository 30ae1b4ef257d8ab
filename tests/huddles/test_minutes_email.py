"""The minutes e-mail (issue #15.5): where e-mail may carry patient data
(NOTIFY_EMAIL_IDENTIFIABLE) it carries the minutes themselves to those whose role may read
them; otherwise, and to anyone else, only the link."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from huddles import services
from huddles.models import AgendaItem
from huddles.reminders import deliver_minutes
from notifications.models import Notification, Preference
from notifications.tasks import email_pending
from patients.models import CareTeamMember
from tests.factories import PatientFactory, meeting_started

pytestmark = pytest.mark.django_db


@pytest.fixture
def identifiable(settings):
    settings.ICN_NOTIFY = {**settings.ICN_NOTIFY, "EMAIL_IDENTIFIABLE": True}


@pytest.fixture
def held(meeting, chair, member, network, patient):
    """A meeting held: the patient discussed (notes, a discharge, a task), a GP present, a
    PIC on the patient's care team (a role that may not read the minutes page)."""
    gp, pic = member("gp"), member("pic")
    for user in (chair, gp, pic):
        Preference.objects.create(user=user, email=Preference.Delivery.IMMEDIATE)
    item = services.agenda_add(meeting=meeting, patient=patient, by=chair, reason="Falls")
    services.meeting_action_add(
        item=item,
        by=chair,
        title="Ring the daughter",
        due_on=timezone.localdate() + timedelta(3),
        assignee=gp,
    )
    services.item_update(
        item=item,
        by=chair,
        notes="Lives alone; daughter visits weekly.",
        decision="discharge",
        admission_avoided="yes",
        decision_reason="Stable at home",
    )
    CareTeamMember.objects.create(patient=patient, membership=pic.memberships.get(), added_by=chair)
    services.attendance_set(meeting=meeting, user=gp, present=True, by=chair)
    services.meeting_close(meeting=meeting_started(meeting), by=chair)
    return {"gp": gp, "pic": pic, "chair": chair, "meeting": meeting}


def emails_by_recipient(meeting) -> dict[str, str]:
    mail.outbox.clear()
    deliver_minutes(meeting.pk)
    email_pending()
    return {message.to[0]: message.body for message in mail.outbox}


def test_identifiable_mail_carries_the_minutes_to_those_who_may_read_them(
    identifiable, held, patient
):
    bodies = emails_by_recipient(held["meeting"])
    for reader in (held["gp"], held["chair"]):
        body = bodies[reader.email]
        assert patient.full_name in body and patient.nhs_number_display in body
        assert "Lives alone; daughter visits weekly." in body
        assert "Ring the daughter" in body
        assert "avoided an admission? Yes" in body and "Stable at home" in body
        assert f"/meetings/{held['meeting'].pk}/minutes/" in body
    # The PIC may not read the minutes page: the link, not the notes.
    pic_body = bodies[held["pic"].email]
    assert f"/meetings/{held['meeting'].pk}/minutes/" in pic_body
    assert "Lives alone" not in pic_body and "Ring the daughter" not in pic_body


def test_without_approved_mail_only_the_link_goes_out(held, patient):
    bodies = emails_by_recipient(held["meeting"])
    assert set(bodies) == {held["gp"].email, held["chair"].email, held["pic"].email}
    for body in bodies.values():
        assert f"/meetings/{held['meeting'].pk}/minutes/" in body
        assert patient.full_name not in body and "Lives alone" not in body
    # The notification in ICN is the short one either way.
    assert all("Lives alone" not in n.body for n in held["gp"].notifications.all())


def test_the_minutes_cost_the_same_queries_for_any_agenda(
    identifiable, meeting, chair, member, network, django_assert_max_num_queries
):
    gp = member("gp")
    services.attendance_set(meeting=meeting, user=gp, present=True, by=chair)

    def grow(n):
        for _ in range(n):
            item = services.agenda_add(
                meeting=meeting, patient=PatientFactory(network=network), by=chair, reason="x"
            )
            services.item_update(item=item, by=chair, notes="Seen", decision="continue")

    grow(1)
    services.meeting_close(meeting=meeting_started(meeting), by=chair)
    with django_assert_max_num_queries(30) as small:
        deliver_minutes(meeting.pk)
    n = len(small.captured_queries)
    Notification.objects.all().delete()
    for _ in range(5):
        person = PatientFactory(network=network)
        AgendaItem.objects.create(
            meeting=meeting,
            patient=person,
            source="manual",
            reason="x",
            status="discussed",
            notes="Seen",
            position=9,
        )
    with django_assert_max_num_queries(n):
        deliver_minutes(meeting.pk)
