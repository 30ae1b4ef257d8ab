"""Webhooks end to end with real parts: a Celery worker process on the Redis broker, an HTTP
receiver started here verifying every signature, and a worker SIGKILLed in the middle of a
delivery. Each event is acknowledged exactly once (2xx answers counted by webhook-id)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from actions.services import action_mark_done
from huddles import services as huddles
from huddles.models import AgendaItem
from referrals.services import referral_accept, referral_create, referral_decline
from tests.factories import ActionFactory, PatientFactory
from tests.workers import database_url_for_tests, solo_worker, wait_for
from webhooks.models import Delivery
from webhooks.services import subscription_create
from webhooks.tasks import sweep_deliveries

pytestmark = pytest.mark.django_db(transaction=True)

ALL = [
    "referral.created",
    "referral.accepted",
    "referral.declined",
    "referral.completed",
    "task.done",
    "patient.discharged",
]


@pytest.fixture
def worker():
    with solo_worker(database_url_for_tests()) as proc:
        yield proc


def _output(proc) -> str:
    proc.kill()
    return proc.communicate(timeout=20)[0].decode(errors="replace")[-3000:]


def _all_delivered(expected: int) -> bool:
    return Delivery.objects.filter(status="delivered").count() == expected


def test_every_event_is_heard_once_with_a_valid_signature(worker, member, network, receiver):
    chair, gp = member("chair"), member("gp")
    network.cadence, network.meeting_weekdays = "weekly", [timezone.localdate().weekday()]
    network.save()
    huddles.meetings_schedule(network=network)
    subscription = subscription_create(network=network, url=receiver.url, events=ALL, by=chair)
    patient = PatientFactory(network=network)

    mdt = referral_create(patient=patient, service="mdt", reason="Falls", by=gp).referral
    referral_accept(referral=mdt, by=chair)  # on the next meeting's agenda
    other = referral_create(
        patient=patient, service="medicines_optimisation", reason="Pills", by=gp
    ).referral
    referral_decline(referral=other, by=member("pharmacist"), reason="already_known")
    action_mark_done(action=ActionFactory(network=network, patient=patient), by=gp)
    item = AgendaItem.objects.get(patient=patient)
    # The MDT discharges the person: patient.discharged, and the referral completed.
    huddles.item_update(item=item, by=chair, decision="discharge", admission_avoided="yes")

    expected = 7
    if not wait_for(lambda: _all_delivered(expected), timeout=60):
        pytest.fail(f"not all delivered: {list(Delivery.objects.values())}\n{_output(worker)}")
    # Nothing more comes, however often the sweep runs.
    assert sweep_deliveries() == 0
    payloads = receiver.verified(subscription.secret)  # every signature valid
    assert sorted(p["type"] for p in payloads) == sorted(
        [
            "referral.created",
            "referral.accepted",
            "referral.created",
            "referral.declined",
            "task.done",
            "patient.discharged",
            "referral.completed",
        ]
    )
    acknowledged = receiver.acknowledged()
    assert len(acknowledged) == expected and set(acknowledged.values()) == {1}
    assert set(acknowledged) == set(Delivery.objects.values_list("webhook_id", flat=True))
    completed = next(p for p in payloads if p["type"] == "referral.completed")
    assert completed["data"]["serviceRequest"] == f"ServiceRequest/{mdt.pk}"
    assert completed["data"]["status"] == "completed"
    discharged = next(p for p in payloads if p["type"] == "patient.discharged")
    assert discharged["data"]["patient"] == f"Patient/{patient.pk}"


def test_a_failed_delivery_is_retried_by_the_sweep_with_the_same_id(
    worker, member, network, receiver
):
    receiver.answers = [500]
    partner = member("partner_system")
    subscription = subscription_create(
        network=network, url=receiver.url, events=["referral.created"], by=partner
    )
    referral_create(
        patient=PatientFactory(network=network), service="mdt", reason="Falls", by=partner
    )
    delivery = Delivery.objects.get()
    if not wait_for(lambda: Delivery.objects.filter(attempts=1).exists(), timeout=30):
        pytest.fail(_output(worker))
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.last_status_code == 500
    # After its back-off (WEBHOOK_RETRY_SECONDS in tests), beat's sweep sends it again.
    wait_for(lambda: timezone.now() >= delivery.next_attempt_at, timeout=10)
    assert sweep_deliveries() == 1
    if not wait_for(lambda: _all_delivered(1), timeout=30):
        pytest.fail(_output(worker))
    assert [r.answered for r in receiver.requests] == [500, 200]
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery.webhook_id}
    assert len(receiver.verified(subscription.secret)) == 2
    assert receiver.acknowledged() == {delivery.webhook_id: 1}


def _forget_the_killed_workers_message() -> None:
    """The killed worker's message waits in the broker's `unacked` hash for the visibility
    timeout (20 minutes) before Redis gives it out again; taken out here so that no later run's
    worker gets it."""
    from icn.celery import app

    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        for tag, payload in client.hgetall("unacked").items():
            if b"webhooks.tasks.deliver" in payload:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)


def test_a_worker_killed_mid_delivery_is_replaced_and_the_event_heard_once(
    member, network, receiver
):
    chair = member("chair")
    subscription = subscription_create(
        network=network, url=receiver.url, events=["referral.created"], by=chair
    )
    receiver.hold = True  # the first request is held open, never answered
    with solo_worker(database_url_for_tests()) as first:
        referral_create(
            patient=PatientFactory(network=network), service="mdt", reason="x", by=member("gp")
        )
        if not receiver.holding.wait(timeout=30):
            pytest.fail(_output(first))
        first.kill()  # SIGKILL: no warm shutdown, nothing recorded
        first.wait(timeout=10)
    _forget_the_killed_workers_message()
    receiver.release.set()  # the held connection is dropped unanswered
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 0  # the database knows nothing
    # Until the lease runs out, the sweep leaves it alone (a live worker might be sending it).
    if timezone.now() < delivery.next_attempt_at - timedelta(seconds=1):
        assert sweep_deliveries() == 0
    with solo_worker(database_url_for_tests()) as second:
        wait_for(lambda: timezone.now() >= delivery.next_attempt_at, timeout=15)
        assert sweep_deliveries() == 1
        if not wait_for(lambda: _all_delivered(1), timeout=30):
            pytest.fail(_output(second))
        assert sweep_deliveries() == 0
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert ids == [delivery.webhook_id, delivery.webhook_id]
    assert len(receiver.verified(subscription.secret)) == 2
    assert receiver.acknowledged() == {delivery.webhook_id: 1}


def test_a_partner_subscribes_refers_and_hears_the_outcome_through_the_api(
    worker, api, member, network, receiver
):
    """The whole workflow as a partner system sees it: subscribe, refer, hear each event once
    (and nothing of another referrer's), signed with the secret it was shown once."""
    partner, chair = api(member("partner_system")), api(member("chair"))
    created = partner.post(
        "/api/v1/webhooks/",
        {
            "url": receiver.url,
            "events": ["referral.created", "referral.accepted"],
            "network": network.slug,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    people = [PatientFactory(network=network) for _ in range(2)]
    made = partner.post(
        "/api/v1/referrals/",
        {"patient": people[0].pk, "service": "physiotherapy", "reason": "Unsteady"},
        format="json",
    )
    assert made.status_code == 201, made.content
    referral_id = made.json()["id"]
    api(member("gp")).post(
        "/api/v1/referrals/",
        {"patient": people[1].pk, "service": "physiotherapy", "reason": "Not theirs"},
        format="json",
    )
    assert chair.post(f"/api/v1/referrals/{referral_id}/accept/").status_code == 200
    if not wait_for(lambda: _all_delivered(2), timeout=60):
        pytest.fail(_output(worker))
    payloads = receiver.verified(secret)
    assert [(p["type"], p["data"]["serviceRequest"]) for p in payloads] == [
        ("referral.created", f"ServiceRequest/{referral_id}"),
        ("referral.accepted", f"ServiceRequest/{referral_id}"),
    ]
    assert set(receiver.acknowledged().values()) == {1}
    log = partner.get(f"/api/v1/webhooks/{created.json()['id']}/deliveries/").json()
    assert [row["status"] for row in log["results"]] == ["delivered", "delivered"]
