"""Subscriptions, events recorded with the change, and each delivery's attempts, against a real
HTTP receiver (tests/webhooks/receiver.py) in this process."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from actions.services import action_mark_done
from core.errors import NotAllowed
from notifications.models import Notification
from referrals.services import (
    referral_accept,
    referral_complete,
    referral_create,
    referral_decline,
)
from tests.factories import ActionFactory, PatientFactory
from webhooks.models import Delivery, Event, Subscription
from webhooks.services import (
    backoff,
    delivery_send,
    event_record,
    subscription_create,
    subscription_remove,
)

pytestmark = pytest.mark.django_db

ALL = [
    "referral.created",
    "referral.accepted",
    "referral.declined",
    "referral.completed",
    "task.done",
    "patient.discharged",
]


def subscribe(user, network, url, events=ALL):
    return subscription_create(network=network, url=url, events=events, by=user)


def test_a_chair_subscribes_with_a_secret_of_its_own(member, network, receiver):
    chair = member("chair")
    one = subscribe(chair, network, receiver.url, ["task.done", "referral.created"])
    two = subscribe(chair, network, receiver.url)
    assert one.secret.startswith("whsec_") and one.secret != two.secret
    Webhook(one.secret)  # a valid Standard Webhooks secret
    assert one.scope == "network" and one.events == ["referral.created", "task.done"]
    partner = subscribe(member("partner_system"), network, receiver.url)
    assert partner.scope == "own"


@pytest.mark.parametrize("role", ["gp", "pharmacist", "manager", "ig_lead", "pic"])
def test_other_roles_may_not_subscribe(member, network, receiver, role):
    with pytest.raises(NotAllowed):
        subscribe(member(role), network, receiver.url)
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("events", "field"),
    [([], "events"), (["referral.created", "referral.lost"], "events")],
)
def test_bad_events_are_refused(member, network, receiver, events, field):
    with pytest.raises(ValidationError) as caught:
        subscribe(member("chair"), network, receiver.url, events)
    assert field in caught.value.message_dict
    assert not Subscription.objects.exists()


def test_nothing_is_recorded_when_nobody_listens_in_one_query(
    member, network, patient, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert event_record(network_id=network.pk, type="task.done", data={}) is None
    assert not Event.objects.exists()


def test_recording_costs_the_same_for_2_or_20_subscribers(
    member, network, receiver, django_assert_max_num_queries
):
    chair = member("chair")
    for _ in range(2):
        subscribe(chair, network, receiver.url)
    with django_assert_max_num_queries(3):
        event_record(network_id=network.pk, type="task.done", data={"task": "Task/1"})
    for _ in range(18):
        subscribe(chair, network, receiver.url)
    with django_assert_max_num_queries(3):
        event_record(network_id=network.pk, type="task.done", data={"task": "Task/2"})
    assert Delivery.objects.count() == 2 + 20


def test_each_change_records_its_event_without_names(member, network, patient, receiver):
    chair, gp = member("chair"), member("gp")
    subscribe(chair, network, receiver.url)
    made = referral_create(patient=patient, service="mdt", reason="Falls", by=gp).referral
    referral_accept(referral=made, by=chair)
    other = referral_create(
        patient=patient, service="medicines_optimisation", reason="Many pills", by=gp
    ).referral
    referral_decline(referral=other, by=member("pharmacist"), reason="already_known")
    referral_complete(referral=made, by=chair, outcome="Seen")
    action_mark_done(action=ActionFactory(network=network, patient=patient), by=gp)
    types = list(Event.objects.order_by("pk").values_list("type", flat=True))
    assert types == [
        "referral.created",
        "referral.accepted",
        "referral.created",
        "referral.declined",
        "referral.completed",
        "task.done",
    ]
    accepted = Event.objects.get(type="referral.accepted")
    assert accepted.data == {
        "referral": made.pk,
        "serviceRequest": f"ServiceRequest/{made.pk}",
        "patient": f"Patient/{patient.pk}",
        "status": "accepted",
        "service": "mdt",
        "urgency": "routine",
        "identifier": None,
    }
    for event in Event.objects.all():
        text = str(event.data)
        assert patient.family_name not in text and patient.nhs_number not in text


def test_a_partner_hears_only_of_its_own_referrals(member, network, receiver):
    partner, gp, chair = member("partner_system"), member("gp"), member("chair")
    subscribe(partner, network, receiver.url)
    chairs = subscribe(chair, network, receiver.url)
    own = referral_create(
        patient=PatientFactory(network=network), service="mdt", reason="Falls", by=partner
    ).referral
    theirs = referral_create(
        patient=PatientFactory(network=network), service="mdt", reason="Falls", by=gp
    ).referral
    referral_accept(referral=theirs, by=chair)
    referral_accept(referral=own, by=chair)
    heard = Delivery.objects.filter(subscription__owner=partner)
    assert sorted(d.event.data["referral"] for d in heard) == [own.pk, own.pk]
    assert Delivery.objects.filter(subscription=chairs).count() == 4


def test_a_partner_in_another_network_hears_nothing(member, network, other_network, receiver):
    partner = member("partner_system", net=other_network)
    subscribe(partner, other_network, receiver.url)
    referral_create(
        patient=PatientFactory(network=network), service="mdt", reason="x", by=member("gp")
    )
    assert not Delivery.objects.exists()


def _one_delivery(member, network, receiver, events=("task.done",)):
    subscription = subscribe(member("chair"), network, receiver.url, list(events))
    event_record(network_id=network.pk, type="task.done", data={"task": "Task/7"})
    return subscription, Delivery.objects.get(subscription=subscription)


def test_a_delivery_is_signed_and_sent_once(member, network, receiver):
    subscription, delivery = _one_delivery(member, network, receiver)
    assert delivery.webhook_id.startswith("msg_")
    assert delivery_send(delivery_id=delivery.pk) == "delivered"
    assert delivery_send(delivery_id=delivery.pk) == "skipped"
    [payload] = receiver.verified(subscription.secret)
    assert payload["type"] == "task.done" and payload["data"] == {"task": "Task/7"}
    assert receiver.requests[0].headers["webhook-id"] == delivery.webhook_id
    with pytest.raises(Exception):  # noqa: B017 (the library's WebhookVerificationError)
        Webhook(subscribe(member("chair"), network, receiver.url).secret).verify(
            receiver.requests[0].body, receiver.requests[0].headers
        )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)


def test_a_failure_is_retried_later_with_the_same_webhook_id(member, network, receiver):
    receiver.answers = [500, 503]
    subscription, delivery = _one_delivery(member, network, receiver)
    before = timezone.now()
    assert delivery_send(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_status_code == 500
    assert delivery.next_attempt_at >= before + backoff(1)
    # Not due yet: nothing is sent.
    assert delivery_send(delivery_id=delivery.pk) == "skipped"
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert delivery_send(delivery_id=delivery.pk) == "retry"
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert delivery_send(delivery_id=delivery.pk) == "delivered"
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert ids == {delivery.webhook_id} and len(receiver.requests) == 3
    assert len(receiver.verified(subscription.secret)) == 3
    assert receiver.acknowledged() == {delivery.webhook_id: 1}


def test_backoff_doubles(settings):
    settings.WEBHOOK_RETRY_SECONDS = 30
    assert [backoff(n).total_seconds() for n in range(1, 8)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
    ]
    assert backoff(40) == timedelta(hours=6)


def test_given_up_after_the_last_attempt_and_the_owner_told_once(
    member, network, receiver, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.answers = [500, 500, 500]
    subscription, delivery = _one_delivery(member, network, receiver)
    assert delivery_send(delivery_id=delivery.pk) == "retry"
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert delivery_send(delivery_id=delivery.pk) == "abandoned"
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert delivery_send(delivery_id=delivery.pk) == "skipped"
    assert len(receiver.requests) == 2
    told = Notification.objects.filter(recipient=subscription.owner, kind="webhook_abandoned")
    assert told.count() == 1
    assert told.get().url == "/webhooks/"  # the chair's page


def test_a_refused_connection_is_a_failure(member, network, receiver):
    _subscription, delivery = _one_delivery(member, network, receiver)
    receiver.stop()
    assert delivery_send(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.last_status_code is None and "Connection" in delivery.last_error


def test_a_removed_subscription_sends_nothing_more(member, network, receiver):
    subscription, delivery = _one_delivery(member, network, receiver)
    subscription_remove(subscription=subscription, by=subscription.owner)
    assert delivery_send(delivery_id=delivery.pk) == "skipped"
    delivery.refresh_from_db()
    assert delivery.status == "abandoned" and not receiver.requests
    assert event_record(network_id=network.pk, type="task.done", data={}) is None


def test_an_event_commits_or_rolls_back_with_its_change(member, network, patient, receiver):
    from django.db import transaction

    from core.errors import Conflict

    gp = member("gp")
    subscribe(member("chair"), network, receiver.url)
    referral_create(patient=patient, service="mdt", reason="Falls", by=gp)
    with pytest.raises(Conflict):  # a second open MDT referral: refused, nothing recorded
        referral_create(patient=patient, service="mdt", reason="Again", by=gp)
    with pytest.raises(RuntimeError), transaction.atomic():
        referral_create(patient=patient, service="physiotherapy", reason="Unsteady", by=gp)
        raise RuntimeError("the caller's transaction fails after the change")
    assert list(Event.objects.values_list("type", flat=True)) == ["referral.created"]
    assert Delivery.objects.count() == 1


def test_the_sweep_runs_every_minute_in_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["webhook-deliveries"]
    assert entry == {"task": "webhooks.tasks.sweep_deliveries", "schedule": 60}
    # A worker's lease outlasts its request, so a live worker's delivery is never swept.
    assert settings.WEBHOOK_LEASE_SECONDS > settings.WEBHOOK_TIMEOUT_SECONDS


def test_the_sweep_finds_only_what_is_due(member, network, receiver):
    from webhooks.services import deliveries_due

    subscription = subscribe(member("chair"), network, receiver.url, ["task.done"])
    for _ in range(3):
        event_record(network_id=network.pk, type="task.done", data={})
    first, second, third = Delivery.objects.filter(subscription=subscription).order_by("pk")
    Delivery.objects.filter(pk=second.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    Delivery.objects.filter(pk=third.pk).update(status="delivered")
    assert deliveries_due() == [(first.pk, network.pk)]
