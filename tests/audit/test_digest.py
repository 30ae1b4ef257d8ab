"""The daily digest of unusual access, against the real database: who is flagged, who is
told, the link, and that a second run sends nothing."""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from audit.models import AccessEvent
from audit.services import access_record, access_refused
from audit.tasks import notify_unusual_access
from notifications.models import Notification
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _move_to(day: datetime.date) -> None:
    """Date the events made so far to `day` (the trail refuses UPDATE, so the test lifts its
    append-only trigger for this one statement)."""
    import pgtrigger

    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
    with pgtrigger.ignore("audit.AccessEvent:access_event_append_only"):
        AccessEvent.objects.update(at=at)


@pytest.fixture
def yesterday():
    return timezone.localdate() - datetime.timedelta(days=1)


@override_settings(ICN_UNUSUAL_ACCESS_PER_DAY=5, ICN_UNUSUAL_REFUSALS_PER_DAY=3)
def test_digest_tells_the_ig_lead_once(client, member, network, other_network, yesterday):
    ig = member("ig_lead")
    gp = member("gp")
    quiet = member("pharmacist")
    pic = member("pic")
    other_ig = member("ig_lead", net=other_network, username="ig_lead.purbeck")
    people = PatientFactory.create_batch(6, network=network)
    access_record(user=gp, patients=people, what="detail", channel="page")  # 6 > 5
    access_record(user=gp, patients=people, what="detail", channel="api")  # the same 6
    access_record(user=quiet, patients=people[:5], what="detail", channel="page")  # 5: not > 5
    for _ in range(3):
        access_refused(
            user=pic,
            patient_ref=people[0].pk,
            patient=people[0],
            what="detail",
            channel="page",
            outcome="denied",
        )
    access_refused(
        user=pic, patient_ref="424242", what="detail", channel="api", outcome="not_found"
    )
    _move_to(yesterday)

    assert notify_unusual_access() > 0
    told = Notification.objects.filter(kind="unusual_access")
    assert sorted(told.values_list("recipient_id", "subject_id")) == sorted(
        [(ig.pk, gp.pk), (ig.pk, pic.pk)]
    )
    about_gp = told.get(subject_id=gp.pk)
    assert "opened 6 people's records" in about_gp.title
    assert "was refused 4 times" in told.get(subject_id=pic.pk).title
    assert other_ig.pk not in told.values_list("recipient_id", flat=True)
    # The link opens for its recipient on the trail filtered to that member and day.
    client.force_login(ig)
    page = client.get(about_gp.url)
    assert page.status_code == 200
    assert f"date_from={yesterday.isoformat()}" in about_gp.url
    assert "user=gp.thornton-heath" in about_gp.url
    # Exactly once: running it again (or for the same day by name) sends nothing new.
    notify_unusual_access()
    notify_unusual_access(day=yesterday.isoformat())
    assert Notification.objects.filter(kind="unusual_access").count() == 2


def test_nothing_unusual_sends_nothing(member, network, yesterday):
    member("ig_lead")
    access_record(
        user=member("gp"),
        patients=PatientFactory.create_batch(3, network=network),
        what="detail",
        channel="page",
    )
    _move_to(yesterday)
    assert notify_unusual_access() == 0
    assert not Notification.objects.filter(kind="unusual_access").exists()


@override_settings(ICN_UNUSUAL_ACCESS_PER_DAY=1)
def test_only_yesterday_counts(member, network):
    member("ig_lead")
    access_record(
        user=member("gp"),
        patients=PatientFactory.create_batch(3, network=network),
        what="detail",
        channel="page",
    )  # today: not yet in a digest
    assert notify_unusual_access() == 0


def test_the_digest_is_in_the_beat_schedule():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["unusual-access-digest"]
    assert entry["task"] == "audit.tasks.notify_unusual_access"
    assert entry["schedule"].hour == {7} and entry["schedule"].minute == {0}
    assert settings.CELERY_TIMEZONE == "Europe/London"
