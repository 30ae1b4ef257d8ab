"""The network's webhooks page: the chair adds (secret shown once) and removes subscriptions
and reads the delivery log."""

import pytest

from webhooks.models import Delivery, Subscription
from webhooks.services import delivery_send, event_record

pytestmark = pytest.mark.django_db

PAGE = "/webhooks/"


@pytest.fixture
def chair_client(client, member):
    client.force_login(member("chair"))
    return client


def test_the_chair_adds_a_webhook_and_sees_its_secret_once(chair_client, receiver):
    response = chair_client.post(PAGE, {"url": receiver.url, "events": ["task.done"]})
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.secret in response.content.decode()
    page = chair_client.get(PAGE).content.decode()
    assert receiver.url in page and subscription.secret not in page


@pytest.mark.parametrize(
    "data",
    [
        {"url": "http://127.0.0.1:9/x", "events": []},
        {"url": "http://127.0.0.1:9/x", "events": ["referral.lost"]},
        {"url": "", "events": ["task.done"]},
        {"url": "ftp://127.0.0.1/x", "events": ["task.done"]},
    ],
)
def test_bad_input_is_422_and_saves_nothing(chair_client, data):
    response = chair_client.post(PAGE, data)
    assert response.status_code == 422
    assert "There is a problem" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_private_address_is_refused_on_the_page(chair_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = chair_client.post(PAGE, {"url": "https://localhost/x", "events": ["task.done"]})
    assert response.status_code == 422 and "loopback" in response.content.decode()
    assert not Subscription.objects.exists()


def test_remove(chair_client, receiver):
    chair_client.post(PAGE, {"url": receiver.url, "events": ["task.done"]})
    subscription = Subscription.objects.get()
    response = chair_client.post(f"{PAGE}{subscription.pk}/remove/")
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert not subscription.active
    assert chair_client.post(f"{PAGE}{subscription.pk}/remove/").status_code == 404


def test_the_log_in_a_constant_number_of_queries(
    chair_client, network, receiver, django_assert_max_num_queries
):
    chair_client.post(PAGE, {"url": receiver.url, "events": ["task.done"]})
    counts = []
    for n in (2, 20):
        while Delivery.objects.count() < n:
            event_record(network_id=network.pk, type="task.done", data={"task": "Task/1"})
        delivery_send(delivery_id=Delivery.objects.order_by("pk").first().pk)
        with django_assert_max_num_queries(40) as captured:
            response = chair_client.get(PAGE)
        counts.append(len(captured))
        page = response.content.decode()
        assert page.count("task.done</th>") == n
        assert "Delivered" in page and "HTTP 200" in page
    assert counts[0] == counts[1]


@pytest.mark.parametrize("role", ["gp", "pharmacist", "manager", "partner_system", "ig_lead"])
def test_only_the_chair(client, member, role):
    client.force_login(member(role))
    assert client.get(PAGE).status_code == 403
    assert (
        client.post(PAGE, {"url": "http://127.0.0.1:9/", "events": ["task.done"]}).status_code
        == 403
    )
    assert not Subscription.objects.exists()


def test_the_chair_finds_it_in_the_navigation(chair_client, client, member):
    response = chair_client.get("/referrals/services/")
    assert response.status_code == 200 and 'href="/webhooks/"' in response.content.decode()
    client.force_login(member("gp"))
    response = client.get("/my-work/")
    assert response.status_code == 200 and 'href="/webhooks/"' not in response.content.decode()
