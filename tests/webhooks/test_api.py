"""`/api/v1/webhooks/`: a chair for the network, a partner system for itself; the secret once;
bad input is a 400 with nothing saved."""

import pytest

from webhooks.models import Delivery, Subscription
from webhooks.services import delivery_send, event_record

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"


def body(**overrides):
    return {
        "url": "http://127.0.0.1:9/hooks",
        "events": ["referral.created", "task.done"],
        "network": "thornton-heath",
        **overrides,
    }


def test_a_chair_subscribes_and_sees_the_secret_once(api, member):
    client = api(member("chair"))
    response = client.post(URL, body(), format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_") and created["id"]
    assert created["scope"] == "network" and created["network"] == "thornton-heath"
    listed = client.get(URL).json()
    assert listed["count"] == 1
    assert "secret" not in listed["results"][0]
    assert created["secret"] not in str(client.get(URL).content)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"events": []}, "events"),
        ({"events": ["referral.lost"]}, "events"),
        ({"events": "task.done"}, "events"),
        ({"url": "notaurl"}, "url"),
        ({"url": ""}, "url"),
        ({"network": "purbeck"}, "network"),
        ({"network": "nowhere"}, "network"),
    ],
)
def test_bad_input_is_400_and_saves_nothing(api, member, other_network, overrides, field):
    response = api(member("chair")).post(URL, body(**overrides), format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Subscription.objects.exists()


def test_a_private_address_is_400_in_production(api, member, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = api(member("chair")).post(URL, body(url="https://10.0.0.8/in"), format="json")
    assert response.status_code == 400 and "private" in response.json()["url"][0]
    assert not Subscription.objects.exists()


def test_a_chair_of_another_network_is_refused_here(api, member, other_network):
    response = api(member("chair", net=other_network)).post(URL, body(), format="json")
    assert response.status_code == 400 and "network" in response.json()
    assert not Subscription.objects.exists()


def test_a_partner_sees_only_its_own_and_the_chair_sees_all(api, member):
    partner, chair = member("partner_system"), member("chair")
    assert api(partner).post(URL, body(), format="json").status_code == 201
    assert api(chair).post(URL, body(), format="json").status_code == 201
    own = api(partner).get(URL).json()["results"]
    assert [s["owner"] for s in own] == [partner.username] and own[0]["scope"] == "own"
    assert api(chair).get(URL).json()["count"] == 2
    chairs = Subscription.objects.get(owner=chair)
    assert api(partner).delete(f"{URL}{chairs.pk}/").status_code == 404
    assert api(partner).get(f"{URL}{chairs.pk}/deliveries/").status_code == 404


@pytest.mark.parametrize("role", ["gp", "pharmacist", "manager", "ig_lead", "pic"])
def test_other_roles_are_refused(api, member, role):
    client = api(member(role))
    assert client.get(URL).status_code == 403
    assert client.post(URL, body(), format="json").status_code == 403
    assert not Subscription.objects.exists()


def test_delete_stops_it_and_keeps_the_log(api, member):
    client = api(member("chair"))
    pk = client.post(URL, body(), format="json").json()["id"]
    assert client.delete(f"{URL}{pk}/").status_code == 204
    assert client.get(URL).json()["count"] == 0
    subscription = Subscription.objects.get(pk=pk)
    assert not subscription.active


def test_the_delivery_log(api, member, network, receiver, django_assert_max_num_queries):
    client = api(member("chair"))
    pk = client.post(URL, body(url=receiver.url), format="json").json()["id"]
    counts = []
    for n in (2, 20):
        while Delivery.objects.count() < n:
            event_record(network_id=network.pk, type="task.done", data={"task": "Task/1"})
        with django_assert_max_num_queries(20) as captured:
            response = client.get(f"{URL}{pk}/deliveries/")
        counts.append(len(captured))
        assert response.status_code == 200 and response.json()["count"] == n
    assert counts[0] == counts[1]
    delivery_send(delivery_id=Delivery.objects.order_by("pk").first().pk)
    rows = client.get(f"{URL}{pk}/deliveries/").json()["results"]
    done = rows[-1]
    assert done["event"] == "task.done" and done["status"] == "delivered"
    assert done["attempts"] == 1 and done["last_status_code"] == 200
    assert done["webhook_id"].startswith("msg_")
