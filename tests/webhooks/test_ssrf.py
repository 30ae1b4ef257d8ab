"""The SSRF guard with WEBHOOK_ALLOW_PRIVATE off, as in production: each kind of address that
must not be called is refused, by real resolution of literal addresses and `localhost`, at
subscription and again at send."""

import pytest
from django.core.exceptions import ValidationError

from webhooks import ssrf
from webhooks.models import Delivery, Subscription
from webhooks.services import delivery_send, event_record, subscription_create

pytestmark = pytest.mark.django_db

REFUSED = [
    ("https://127.0.0.1/hook", "loopback"),
    ("https://localhost/hook", "loopback"),
    ("https://[::1]/hook", "loopback"),
    ("https://10.1.2.3/hook", "private"),
    ("https://172.16.0.5/hook", "private"),
    ("https://192.168.1.10/hook", "private"),
    ("https://100.64.0.1/hook", "not public"),  # carrier-grade NAT
    ("https://169.254.169.254/latest/meta-data", "link-local"),  # cloud metadata
    ("https://[fe80::1]/hook", "link-local"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://[ff02::1]/hook", "multicast"),
    ("https://240.0.0.1/hook", "reserved"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://[fd12:3456::1]/hook", "unique local"),
    ("https://[::ffff:127.0.0.1]/hook", "IPv4-mapped"),
    ("https://[::ffff:8.8.8.8]/hook", "IPv4-mapped"),
]


@pytest.fixture
def production(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_each_kind_of_inside_address_is_refused(production, member, network, url, why):
    with pytest.raises(ValidationError) as caught:
        subscription_create(network=network, url=url, events=["task.done"], by=member("chair"))
    assert why in caught.value.message_dict["url"][0]
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://8.8.8.8/hook", "https://"),  # plain http in production
        ("ftp://8.8.8.8/hook", "https://"),
        ("https:///hook", "host"),
        ("https://user:pw@8.8.8.8/hook", "password"),
        ("https://no-such-host.invalid/hook", "does not resolve"),
        ("not a url", "https://"),
    ],
)
def test_bad_urls_are_refused(production, member, network, url, message):
    with pytest.raises(ValidationError) as caught:
        subscription_create(network=network, url=url, events=["task.done"], by=member("chair"))
    assert message in caught.value.message_dict["url"][0]
    assert not Subscription.objects.exists()


def test_a_public_address_is_accepted(production):
    target = ssrf.check("https://8.8.8.8:8443/in?x=1", allow_private=False)
    assert (target.host, target.port, target.path, target.address) == (
        "8.8.8.8",
        8443,
        "/in?x=1",
        "8.8.8.8",
    )


def test_private_addresses_are_allowed_only_when_configured():
    target = ssrf.check("http://localhost:8080/hook", allow_private=True)
    assert target.address in {"127.0.0.1", "::1"} and target.host == "localhost"


def test_checked_again_at_send(member, network, receiver, settings):
    """Subscribed while private addresses were allowed; at send they are not: the address is
    resolved and checked again, and nothing goes."""
    subscription_create(
        network=network,
        url=receiver.url.replace("http://127.0.0.1", "https://localhost"),
        events=["task.done"],
        by=member("chair"),
    )
    event_record(network_id=network.pk, type="task.done", data={"task": "Task/1"})
    settings.WEBHOOK_ALLOW_PRIVATE = False
    delivery = Delivery.objects.get()
    assert delivery_send(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert "loopback" in delivery.last_error and delivery.last_status_code is None
    assert receiver.requests == []


def test_redirects_are_not_followed(member, network, receiver):
    """A 3xx is an answer like any other that is not 2xx: a failure, not a second request."""
    receiver.answers = [302]
    subscription_create(network=network, url=receiver.url, events=["task.done"], by=member("chair"))
    event_record(network_id=network.pk, type="task.done", data={})
    assert delivery_send(delivery_id=Delivery.objects.get().pk) == "retry"
    assert len(receiver.requests) == 1 and Delivery.objects.get().last_status_code == 302
