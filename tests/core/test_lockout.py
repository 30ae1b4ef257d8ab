"""Lockout by username whatever the address, and client addresses read only through declared
proxies (issue #12: the lockout was bypassed by a new X-Forwarded-For on every attempt)."""

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory, override_settings

from core.clientip import client_ip

pytestmark = pytest.mark.django_db
PASSWORD = "a-good-long-password"
USERNAME = "pharmacist.thornton-heath"


def _spoofed(n: int) -> dict:
    """A different forged X-Forwarded-For (and TCP peer) on every attempt."""
    return {"HTTP_X_FORWARDED_FOR": f"203.0.113.{n}", "REMOTE_ADDR": f"198.51.100.{n}"}


def _fail(client, n):
    return client.post(
        "/accounts/login/", {"username": USERNAME, "password": "wrong"}, **_spoofed(n)
    )


@pytest.mark.parametrize("proxies", [0, 1])
def test_spoofed_addresses_do_not_escape_the_lockout(client, member, settings, proxies):
    settings.TRUSTED_PROXY_COUNT = proxies
    member("pharmacist")
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _fail(client, n).status_code == 200
    assert _fail(client, 50).status_code == 429  # the last allowed failure locks
    # The right password from yet another address: still locked, on the page ...
    response = client.post(
        "/accounts/login/", {"username": USERNAME, "password": PASSWORD}, **_spoofed(99)
    )
    assert response.status_code == 429
    assert "too many" in response.content.decode().lower()
    assert client.get("/patients/").status_code == 302
    # ... on the API's token endpoint (JSON) ...
    response = client.post(
        "/api/v1/auth/token/",
        {"username": USERNAME, "password": PASSWORD},
        content_type="application/json",
        **_spoofed(100),
    )
    assert response.status_code == 429
    assert "too many" in response.json()["detail"].lower()
    assert "token" not in response.json()
    # ... and on the admin's login.
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": USERNAME, "password": PASSWORD},
        **_spoofed(101),
    )
    assert response.status_code in (302, 429)
    assert client.get("/admin/").status_code == 302  # no session came of it


def test_another_account_is_not_locked_by_someone_elses_failures(client, member):
    member("pharmacist")
    member("gp")
    for n in range(5):
        _fail(client, n)
    response = client.post(
        "/accounts/login/",
        {"username": "gp.thornton-heath", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.1",
    )
    assert response.status_code == 302


@override_settings(TRUSTED_PROXY_COUNT=1, TRUSTED_PROXIES=[])
def test_behind_one_proxy_each_honest_client_keeps_its_own_address(client, member):
    """With the documented one-proxy setting every request came from one bucket (ipware's
    proxy count read nothing): now each failure is logged against the client's address."""
    member("pharmacist")
    for address in ["81.2.69.160", "81.2.69.161"]:
        client.post(
            "/accounts/login/",
            {"username": USERNAME, "password": "wrong"},
            HTTP_X_FORWARDED_FOR=address,
            REMOTE_ADDR="10.0.0.5",
        )
    assert sorted(AccessAttempt.objects.values_list("ip_address", flat=True)) == [
        "81.2.69.160",
        "81.2.69.161",
    ]


def _ip(settings, count, proxies, peer, xff=None):
    settings.TRUSTED_PROXY_COUNT = count
    settings.TRUSTED_PROXIES = proxies
    meta = {"REMOTE_ADDR": peer}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return client_ip(RequestFactory().get("/", **meta))


@pytest.mark.parametrize(
    ("count", "proxies", "peer", "xff", "expected"),
    [
        # No proxy declared: the header is the client's own invention.
        (0, [], "81.2.69.160", None, "81.2.69.160"),
        (0, [], "81.2.69.160", "1.2.3.4", "81.2.69.160"),
        # One proxy: it appends the address it was connected from.
        (1, [], "10.0.0.5", "81.2.69.160", "81.2.69.160"),
        (1, [], "10.0.0.5", "1.2.3.4, 81.2.69.160", "81.2.69.160"),
        (1, [], "10.0.0.5", None, "10.0.0.5"),
        (1, [], "10.0.0.5", "garbage", "10.0.0.5"),
        # Two proxies.
        (2, [], "10.0.0.5", "1.2.3.4, 81.2.69.160, 10.0.0.9", "81.2.69.160"),
        (2, [], "10.0.0.5", "81.2.69.160", "10.0.0.5"),  # not through both: only the peer
        # A list of proxy addresses: walk back while the hop is ours.
        (0, ["10.0.0.0/8"], "10.0.0.5", "1.2.3.4, 81.2.69.160, 10.0.0.9", "81.2.69.160"),
        (0, ["10.0.0.0/8"], "81.2.69.160", "1.2.3.4", "81.2.69.160"),  # not from our proxy
        (0, ["10.0.0.0/8", "2001:db8::/32"], "2001:db8::1", "[2001:db8:1::7]:443", "2001:db8:1::7"),
    ],
)
def test_client_address(settings, count, proxies, peer, xff, expected):
    assert _ip(settings, count, proxies, peer, xff) == expected
