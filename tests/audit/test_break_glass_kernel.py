"""The break-glass grant and its review (audit's kernel; pages and API test the rest)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AccessEvent, BreakGlass
from audit.selectors import break_glass_for_review, glass_broken, glass_broken_patient_ids
from audit.services import break_glass_record, break_glass_review
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_a_grant_opens_the_one_person_for_the_configured_hours(member, patient, settings):
    settings.BREAK_GLASS_HOURS = 3
    gp = member("gp")
    other = PatientFactory(network=patient.network)
    grant = break_glass_record(
        by=gp,
        patient=patient,
        reason_code="vital_interests",
        reason=" Collapsed at home ",
        channel="page",
        path="/x",
    )
    assert grant.reason == "Collapsed at home" and grant.role == "gp"
    assert timedelta(hours=2, minutes=59) < grant.expires_at - grant.at <= timedelta(hours=3)
    assert glass_broken(gp, patient) and not glass_broken(gp, other)
    assert glass_broken_patient_ids(gp, [patient.pk, other.pk]) == {patient.pk}
    assert glass_broken_patient_ids(member("pharmacist"), [patient.pk]) == set()
    event = AccessEvent.objects.get(what="break_glass")
    assert (event.user_id, event.patient_id, event.channel) == (gp.pk, patient.pk, "page")


def test_an_expired_grant_opens_nothing(member, patient):
    gp = member("gp")
    grant = break_glass_record(
        by=gp, patient=patient, reason_code="consent", reason="Asked", channel="api"
    )
    BreakGlass.objects.filter(pk=grant.pk).update(
        at=timezone.now() - timedelta(hours=13), expires_at=timezone.now() - timedelta(hours=1)
    )
    assert not glass_broken(gp, patient)


@pytest.mark.parametrize(
    ("code", "reason", "field"), [("curiosity", "x", "reason_code"), ("legal", "  ", "reason")]
)
def test_a_reason_is_coded_and_given_or_nothing_is_saved(member, patient, code, reason, field):
    with pytest.raises(ValidationError) as problem:
        break_glass_record(
            by=member("gp"), patient=patient, reason_code=code, reason=reason, channel="api"
        )
    assert field in problem.value.message_dict
    assert not BreakGlass.objects.exists() and not AccessEvent.objects.exists()


def test_the_database_refuses_an_uncoded_reason(member, patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        BreakGlass.objects.create(
            expires_at=timezone.now() + timedelta(hours=1),
            user=member("gp"),
            role="gp",
            network=patient.network,
            patient=patient,
            reason_code="nosy",
            reason="x",
        )


def test_the_review_is_recorded_once_and_an_inappropriate_one_says_why(member, patient):
    ig = member("ig_lead")
    grant = break_glass_record(
        by=member("gp"),
        patient=patient,
        reason_code="safeguarding",
        reason="Concern raised",
        channel="page",
    )
    assert list(break_glass_for_review([patient.network_id])) == [grant]
    with pytest.raises(ValidationError) as problem:
        break_glass_review(grant=grant, by=ig, outcome="inappropriate", note="")
    assert "review_note" in problem.value.message_dict
    grant.refresh_from_db()
    assert grant.reviewed_at is None
    break_glass_review(grant=grant, by=ig, outcome="appropriate")
    grant.refresh_from_db()
    assert (grant.reviewed_by, grant.review_outcome) == (ig, "appropriate")
    with pytest.raises(ValidationError):
        break_glass_review(grant=grant, by=ig, outcome="inappropriate", note="again")


def test_the_ig_lead_and_the_entry_author_are_told_at_once(
    member, patient, django_capture_on_commit_callbacks
):
    from notifications.models import Notification

    ig, author, gp = member("ig_lead"), member("pharmacist"), member("gp")
    member("ig_lead", net=patient.network, username="second.ig")
    with django_capture_on_commit_callbacks(execute=True):
        grant = break_glass_record(
            by=gp,
            patient=patient,
            reason_code="safeguarding",
            reason="Bruising seen",
            channel="api",
            entry_kind="visit",
            entry_id=7,
            entry_author_id=author.pk,
        )
    told = {n.recipient.username: n for n in Notification.objects.select_related("recipient")}
    assert set(told) == {ig.username, "second.ig", author.username}
    assert told[ig.username].kind == "break_glass"
    assert told[author.username].kind == "break_glass_author"
    assert patient.family_name not in told[ig.username].title
    assert told[ig.username].subject_id == grant.pk
