"""The webhook tables under row-level security (core/rls.py), as the application's database
role: a network's scope sees and sends only its own subscriptions, events and deliveries."""

import pytest
from django.db import DatabaseError, connection, transaction

from core import rls
from tests.core.test_rls import APP_ROLE, ensure_app_role
from tests.factories import MembershipFactory, UserFactory
from webhooks.models import Delivery, Event, Subscription
from webhooks.services import delivery_send, event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_networks(network, other_network, receiver):
    """A chair's subscription in each network, and an event heard in each."""
    made = {}
    for net in (network, other_network):
        chair = UserFactory(username=f"chair.{net.slug}.webhooks")
        MembershipFactory(user=chair, network=net, role="chair")
        made[net.slug] = Subscription.objects.create(
            network=net,
            owner=chair,
            scope="network",
            url=receiver.url,
            events=["task.done"],
            secret="whsec_" + "A" * 44,
        )
        event_record(network_id=net.pk, type="task.done", data={"task": "Task/1"})
    return made


@pytest.fixture
def as_app(db):
    ensure_app_role()
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{APP_ROLE}"')
    assert rls.detect(connection, fresh=True)
    yield
    rls.clear_scope()
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    assert not rls.detect(connection, fresh=True)


def test_a_networks_scope_sees_and_sends_only_its_own(
    two_networks, as_app, network, other_network, receiver
):
    rls.set_scope([network.pk])
    assert set(Subscription.objects.values_list("network_id", flat=True)) == {network.pk}
    assert set(Event.objects.values_list("network_id", flat=True)) == {network.pk}
    assert set(Delivery.objects.values_list("network_id", flat=True)) == {network.pk}
    # Recorded in this scope, an event reaches this network's subscribers only.
    event_record(network_id=network.pk, type="task.done", data={})
    rls.set_scope([network.pk, other_network.pk])
    theirs = Delivery.objects.get(network=other_network)
    rls.set_scope([network.pk])
    assert delivery_send(delivery_id=theirs.pk) == "skipped"  # not even found
    assert receiver.requests == []
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        Subscription.objects.create(
            network=other_network,
            owner=two_networks["thornton-heath"].owner,
            scope="network",
            url=receiver.url,
            events=["task.done"],
            secret="whsec_x",
        )
